#include "tilescope/quant/quantize.h"

#include "calibrator.h"
#include "onnx_export.h"
#include "qdq_rewriter.h"
#include "tilescope/core/error.h"
#include "tilescope/engine/session.h"

#include <memory>

namespace tilescope::quant {

CalibrationMethod parse_calibration_method(std::string_view name) {
  if (name == "minmax") return CalibrationMethod::kMinMax;
  if (name == "percentile") return CalibrationMethod::kPercentile;
  throw Error("unknown calibration method '" + std::string(name) + "' (known: minmax, percentile)");
}

QuantizeReport quantize_model(const std::string& model_path, const std::string& out_path,
                              const QuantizeOptions& options) {
  // Check the folder before the (slow) model load and compile.
  (void)calibration_images(options);
  QuantizeReport report;
  // ONNX files are rewritten as read; other formats (TF.js) go through the
  // graph IR and are written as ONNX.
  const bool onnx_file = !model_path.ends_with(".json");
  const engine::Graph model = engine::load_model(model_path);
  std::unique_ptr<QdqRewriter> rewriter = onnx_file
                                              ? std::make_unique<QdqRewriter>(model_path)
                                              : std::make_unique<QdqRewriter>(export_onnx(model), model_path);
  if (!onnx_file)
    report.notes.push_back("converted from TF.js to ONNX (opset " + std::to_string(model.opset) + ")");
  rewriter->select_convs(options, report);
  const std::vector<std::string> values = rewriter->activation_values();
  if (values.empty()) throw Error(model_path + ": no Conv with constant float32 weights to quantize");

  CalibrationResult calibration = calibrate(model_path, model, values, options);
  report.images = calibration.images;
  report.notes.insert(report.notes.end(), calibration.notes.begin(), calibration.notes.end());

  std::map<std::string, ActivationRange> ranges;
  for (const std::string& v : values) {
    const auto& [lo, hi] = calibration.ranges.at(v);
    ActivationRange r = activation_params(v, lo, hi, options.int8_activations);
    r.min = lo; // report the calibrated range, not the one widened to hold 0
    r.max = hi;
    ranges.emplace(v, r);
    report.activations.push_back(r);
  }
  rewriter->rewrite(ranges, options.int8_activations);
  rewriter->write(out_path);
  return report;
}

} // namespace tilescope::quant
