// Preprocessing: an image (OpenCV, BGR) into a model's float input tensor, and
// boxes back from the input's pixels to the image's.
//
// Each head says how its model wants its input with a PreprocessSpec (a small
// strategy as data); a Preprocessor applies one. The geometry follows
// Ultralytics' LetterBox for inference exactly (auto=False, scaleup=True,
// centred, cv2.INTER_LINEAR), so boxes agree with `yolo predict` to the pixel.
#pragma once

#include "tilescope/detect/detection.h"
#include "tilescope/engine/tensor.h"

#include <array>
#include <cstdint>
#include <opencv2/core.hpp>

namespace tilescope::detect {

enum class ResizeMode {
  kLetterbox, // keep the aspect ratio, centre, pad the rest with PreprocessSpec::pad_value
  kStretch,   // resize to the input size, aspect ratio not kept (no padding)
};

enum class ChannelOrder { kRgb, kBgr }; // channel order of the input tensor

struct PreprocessSpec {
  ResizeMode resize = ResizeMode::kLetterbox;
  std::uint8_t pad_value = 114; // grey, in 8-bit pixel units, before normalisation
  ChannelOrder channel_order = ChannelOrder::kRgb;
  // Tensor value = (pixel - mean[c]) / std[c], per tensor channel c, pixels in 0..255.
  std::array<float, 3> mean{0.0f, 0.0f, 0.0f};
  std::array<float, 3> std{255.0f, 255.0f, 255.0f};

  // Ultralytics YOLOv5/v8/11: letterbox, grey 114, RGB, x / 255.
  static PreprocessSpec ultralytics();
  // NanoDet (RangiLyu/nanodet, legacy v0.x configs such as nanodet-m-416.yml):
  // keep_ratio letterbox with black borders, BGR, (x - mean) / std with
  // mean [103.53, 116.28, 123.675], std [57.375, 57.12, 58.395].
  static PreprocessSpec nanodet();
};

// Where an image lands inside the model input, and the mapping both ways.
struct LetterboxGeometry {
  cv::Size image_size;   // original image, pixels (width, height)
  cv::Size input_size;   // model input, pixels (width, height)
  cv::Size resized_size; // the image after resizing, inside the input (Ultralytics' new_unpad)
  int pad_left = 0;      // input pixels left of the image
  int pad_top = 0;       // input pixels above the image
  double scale_x = 1.0;  // input pixels per image pixel (letterbox: the same ratio r both ways)
  double scale_y = 1.0;

  BoxXYXY to_input(const BoxXYXY& box_in_image) const;
  // Inverse of to_input, clamped to the image ([0, width] x [0, height]), as
  // Ultralytics' scale_boxes + clip_boxes.
  BoxXYXY to_image(const BoxXYXY& box_in_input) const;
};

// Ultralytics LetterBox arithmetic (ultralytics/data/augment.py), Python's
// round-half-to-even included:
//   r = min(in_h / h, in_w / w); new_unpad = (round(w * r), round(h * r))
//   dw, dh = (in_w - new_w) / 2, (in_h - new_h) / 2
//   left = round(dw - 0.1), top = round(dh - 0.1)   (the odd pixel goes right / bottom)
// Throws Error for an empty image or input size.
LetterboxGeometry compute_letterbox(cv::Size image_size, cv::Size input_size,
                                    ResizeMode mode = ResizeMode::kLetterbox);

// Applies a PreprocessSpec. Holds scratch images and a per-channel lookup table,
// so steady-state use does not allocate. Not thread-safe (one per thread).
class Preprocessor {
public:
  explicit Preprocessor(PreprocessSpec spec = PreprocessSpec::ultralytics());

  const PreprocessSpec& spec() const { return spec_; }

  // Writes `image` (8-bit BGR; grey and BGRA are converted) into `chw`, which
  // holds 3 * input_size.area() floats in CHW order. Returns the geometry used.
  // Throws Error for an empty image or another pixel type.
  LetterboxGeometry fill(const cv::Mat& image, cv::Size input_size, float* chw);
  // Same into item `index` of a float32 [B, 3, H, W] batch tensor, so several
  // images or tiles fill one batch without extra copies.
  LetterboxGeometry fill(const cv::Mat& image, engine::Tensor& batch, std::int64_t index);

private:
  const cv::Mat& as_bgr(const cv::Mat& image);

  PreprocessSpec spec_;
  std::array<std::array<float, 256>, 3> lut_{}; // [tensor channel][pixel] -> tensor value
  std::array<int, 3> source_channel_{};         // BGR channel feeding each tensor channel
  cv::Mat converted_;
  cv::Mat resized_;
};

} // namespace tilescope::detect
