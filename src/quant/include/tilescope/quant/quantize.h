// Post-training static quantisation to QDQ ONNX.
//
//   fp32:  X ─────────────────────────────► Conv(W, B) ─►
//   QDQ:   X ─► QuantizeLinear ─► DequantizeLinear ─► Conv ─►
//                (s_x, zp_x)       (s_x, zp_x)         ▲  ▲
//          W_q int8 ─► DequantizeLinear(s_w[c], 0, axis 0)  │
//          B_q int32 ─► DequantizeLinear(s_x·s_w[c], 0, axis 0)
//
// Every Conv's input activation gets a calibrated QuantizeLinear /
// DequantizeLinear pair (shared by all Convs reading it), its weights become
// int8 per output channel, symmetric (zero point 0, range ±127), and its bias
// int32 with scale s_x·s_w[c], as ONNX Runtime's quantizer writes QDQ models,
// so ONNX Runtime (and our engine) read the file. Activation ranges come from
// running the fp32 model on calibration images preprocessed exactly as the
// detector does (the model's head decides the letterbox and normalisation).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tilescope::quant {

enum class CalibrationMethod {
  kMinMax,     // the smallest and largest value seen
  kPercentile, // the `percentile` and 100 - `percentile` quantiles of all values seen
};
// "minmax" | "percentile"; throws tilescope::Error naming the known methods.
CalibrationMethod parse_calibration_method(std::string_view name);

struct QuantizeOptions {
  std::string calibration_dir; // folder of images (jpg, jpeg, png, bmp, tif, tiff, webp)
  int max_images = 100;        // the first N images by file name
  CalibrationMethod method = CalibrationMethod::kMinMax;
  double percentile = 99.999;    // kPercentile: upper quantile in percent (lower: 100 - it)
  bool int8_activations = false; // activations int8 (asymmetric) instead of uint8
  // Keep in fp32 the Convs reading a graph input (the stem) and the Convs from
  // which no other Conv is reachable (the last layer of every head branch).
  bool keep_first_last_fp32 = false;
  std::vector<std::string> exclude_nodes; // Conv node names kept in fp32
  int input_size = 640;                   // for dynamic height / width
  int threads = 0;                        // calibration runs (onednn backend); 0 = all cores
};

struct ActivationRange {
  std::string value; // the Conv input tensor
  float min = 0, max = 0;
  float scale = 0;
  int zero_point = 0;
};

struct QuantizeReport {
  int images = 0;
  int convs_quantized = 0;
  std::vector<std::string> convs_kept; // Conv nodes left in fp32, "name (why)"
  std::vector<ActivationRange> activations;
  std::vector<std::string> notes;
};

// Calibrates `model_path` (an ONNX file, opset >= 13, or a TF.js model.json,
// converted to ONNX) on the images and writes the QDQ model to `out_path`.
// Grouped (depthwise) Convs stay fp32. Throws tilescope::Error naming the file, folder
// or node that is wrong (no images, unreadable image, unsupported model).
QuantizeReport quantize_model(const std::string& model_path, const std::string& out_path,
                              const QuantizeOptions& options);

} // namespace tilescope::quant
