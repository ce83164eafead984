#include "tilescope/detect/letterbox.h"

#include "tilescope/core/error.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>

namespace tilescope::detect {
namespace {

// Python's round() on floats: half to even (round(2.5) == 2). std::nearbyint
// rounds that way under the default FE_TONEAREST mode; std::round would not.
int python_round(double value) { return static_cast<int>(std::nearbyint(value)); }

std::string size_str(cv::Size size) { return std::to_string(size.width) + "x" + std::to_string(size.height); }

float clamp_to(double value, int upper) { return static_cast<float>(std::clamp(value, 0.0, double(upper))); }

} // namespace

PreprocessSpec PreprocessSpec::ultralytics() { return {}; }

PreprocessSpec PreprocessSpec::nanodet() {
  PreprocessSpec spec;
  // nanodet/data/transform/warp.py (keep_ratio=True) centres the image and fills
  // the border with 0 before normalising. It warps with a fractional offset; we
  // place the image on whole pixels like Ultralytics (at most half a pixel away).
  spec.pad_value = 0;
  spec.channel_order = ChannelOrder::kBgr; // cv2.imread order, as trained
  spec.mean = {103.53f, 116.28f, 123.675f};
  spec.std = {57.375f, 57.12f, 58.395f};
  return spec;
}

LetterboxGeometry compute_letterbox(cv::Size image_size, cv::Size input_size, ResizeMode mode) {
  if (image_size.width <= 0 || image_size.height <= 0) {
    throw Error("letterbox: empty image (" + size_str(image_size) + ")");
  }
  if (input_size.width <= 0 || input_size.height <= 0) {
    throw Error("letterbox: bad model input size " + size_str(input_size));
  }
  LetterboxGeometry g;
  g.image_size = image_size;
  g.input_size = input_size;
  if (mode == ResizeMode::kStretch) {
    g.resized_size = input_size;
    g.scale_x = double(input_size.width) / image_size.width;
    g.scale_y = double(input_size.height) / image_size.height;
    return g;
  }
  const double r =
      std::min(double(input_size.height) / image_size.height, double(input_size.width) / image_size.width);
  // A 1-pixel-wide strip in a large input could round to 0 columns: keep one.
  g.resized_size = {std::max(1, python_round(image_size.width * r)),
                    std::max(1, python_round(image_size.height * r))};
  const double dw = (input_size.width - g.resized_size.width) / 2.0;
  const double dh = (input_size.height - g.resized_size.height) / 2.0;
  g.pad_left = python_round(dw - 0.1);
  g.pad_top = python_round(dh - 0.1);
  // Ultralytics' scale_boxes divides by the ratio r, not by new_unpad / size.
  g.scale_x = g.scale_y = r;
  return g;
}

BoxXYXY LetterboxGeometry::to_input(const BoxXYXY& box_in_image) const {
  return {static_cast<float>(box_in_image.x1 * scale_x + pad_left),
          static_cast<float>(box_in_image.y1 * scale_y + pad_top),
          static_cast<float>(box_in_image.x2 * scale_x + pad_left),
          static_cast<float>(box_in_image.y2 * scale_y + pad_top)};
}

BoxXYXY LetterboxGeometry::to_image(const BoxXYXY& box_in_input) const {
  return {clamp_to((box_in_input.x1 - pad_left) / scale_x, image_size.width),
          clamp_to((box_in_input.y1 - pad_top) / scale_y, image_size.height),
          clamp_to((box_in_input.x2 - pad_left) / scale_x, image_size.width),
          clamp_to((box_in_input.y2 - pad_top) / scale_y, image_size.height)};
}

Preprocessor::Preprocessor(PreprocessSpec spec) : spec_(spec) {
  for (int c = 0; c < 3; ++c) {
    if (!(spec_.std[c] != 0.0f)) throw Error("preprocess: std[" + std::to_string(c) + "] must not be 0");
    // (p - mean) / std in float32, the same operations as torch's `im /= 255`
    // (mean 0) and NanoDet's normalisation, so values match bit for bit.
    for (int p = 0; p < 256; ++p)
      lut_[c][p] = (static_cast<float>(p) - spec_.mean[c]) / spec_.std[c];
    source_channel_[c] = spec_.channel_order == ChannelOrder::kBgr ? c : 2 - c;
  }
}

const cv::Mat& Preprocessor::as_bgr(const cv::Mat& image) {
  if (image.empty()) throw Error("preprocess: empty image");
  if (image.depth() != CV_8U) {
    throw Error("preprocess: image has pixel depth " + std::to_string(image.depth()) +
                "; expected 8-bit (CV_8U)");
  }
  switch (image.channels()) {
  case 3: return image;
  case 1: cv::cvtColor(image, converted_, cv::COLOR_GRAY2BGR); return converted_;
  case 4: cv::cvtColor(image, converted_, cv::COLOR_BGRA2BGR); return converted_;
  default:
    throw Error("preprocess: image has " + std::to_string(image.channels()) +
                " channels; expected 1, 3 or 4");
  }
}

LetterboxGeometry Preprocessor::fill(const cv::Mat& image, cv::Size input_size, float* chw) {
  const cv::Mat& bgr = as_bgr(image);
  const LetterboxGeometry g = compute_letterbox(bgr.size(), input_size, spec_.resize);
  const cv::Mat* src = &bgr;
  if (g.resized_size != bgr.size()) { // Ultralytics skips the resize too when sizes agree
    cv::resize(bgr, resized_, g.resized_size, 0.0, 0.0, cv::INTER_LINEAR);
    src = &resized_;
  }
  const int in_w = input_size.width;
  const int in_h = input_size.height;
  const int w = g.resized_size.width;
  const int h = g.resized_size.height;
  const std::size_t plane = static_cast<std::size_t>(in_w) * in_h;
  for (int c = 0; c < 3; ++c) {
    float* out = chw + c * plane;
    const float pad = lut_[c][spec_.pad_value];
    const float* lut = lut_[c].data();
    const int sc = source_channel_[c];
    // Only the border gets the pad value, so every float is written once.
    std::fill(out, out + std::size_t(g.pad_top) * in_w, pad);
    for (int y = 0; y < h; ++y) {
      float* row = out + std::size_t(g.pad_top + y) * in_w;
      std::fill(row, row + g.pad_left, pad);
      const std::uint8_t* px = src->ptr<std::uint8_t>(y) + sc;
      float* dst = row + g.pad_left;
      for (int x = 0; x < w; ++x)
        dst[x] = lut[px[3 * x]];
      std::fill(dst + w, row + in_w, pad);
    }
    std::fill(out + std::size_t(g.pad_top + h) * in_w, out + plane, pad);
  }
  return g;
}

LetterboxGeometry Preprocessor::fill(const cv::Mat& image, engine::Tensor& batch, std::int64_t index) {
  const engine::Shape& s = batch.shape();
  if (batch.dtype() != engine::DType::kFloat32 || s.size() != 4 || s[1] != 3) {
    throw Error("preprocess: batch tensor must be float32 [B,3,H,W], got " +
                std::string(engine::dtype_name(batch.dtype())) + " " + engine::shape_str(s));
  }
  if (index < 0 || index >= s[0]) {
    throw Error("preprocess: batch index " + std::to_string(index) + " outside " + engine::shape_str(s));
  }
  const std::int64_t per_item = 3 * s[2] * s[3];
  return fill(image, cv::Size(static_cast<int>(s[3]), static_cast<int>(s[2])),
              batch.data<float>() + index * per_item);
}

} // namespace tilescope::detect
