// Attributes of Resize (opset 10-19) and Upsample (opset 7-9), parsed once into
// a struct that the reference kernels and the oneDNN backend share. Upsample is
// Resize-10 under another name, so both parse into ResizeAttrs.
//
// Inputs by opset: Resize-10 [X, scales]; Resize-11+ [X, roi, scales, sizes]
// (roi and scales optional since 13; an empty tensor counts as absent);
// Upsample-7/8 [X] with a `scales` attribute; Upsample-9 [X, scales].
#pragma once

#include "tilescope/engine/graph.h"

#include <cstdint>
#include <vector>

namespace tilescope::engine {

enum class ResizeMode { kNearest, kLinear, kCubic };

// How an output coordinate maps back into the input (ONNX
// coordinate_transformation_mode). Opset < 11 always uses kAsymmetric.
enum class CoordinateTransform {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize,
};

// Rounding of the mapped coordinate in nearest mode. kSimple is the opset < 11
// behaviour (ONNX Runtime's): truncate when upsampling an axis, ceil when
// downsampling it.
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };

struct ResizeAttrs {
  ResizeMode mode = ResizeMode::kNearest;
  CoordinateTransform coordinate_transform = CoordinateTransform::kHalfPixel;
  NearestMode nearest_mode = NearestMode::kRoundPreferFloor;
  float cubic_coeff_a = -0.75f;
  bool exclude_outside = false;     // cubic: taps outside the input get weight 0, weights renormalised
  float extrapolation_value = 0.0f; // tf_crop_and_resize: value of outputs mapped outside the input
  // Per dim of X: the scale the coordinate transform divides by. Given scales
  // are used as written; with `sizes` it is output / input.
  std::vector<double> scales;
  // Per dim of X, normalised [start, end] of the crop (tf_crop_and_resize);
  // 0 and 1 otherwise.
  std::vector<double> roi_start;
  std::vector<double> roi_end;
  Shape output_shape; // floor(input * scale) per dim, or `sizes`
};

// Resize: `roi`, `scales`, `sizes` are the values of those inputs, nullptr when
// absent (Resize-10: pass its input 1 as `scales`). Exactly one of scales and
// sizes must be non-empty; roi is read only for tf_crop_and_resize. Rejects
// antialias != 0, keep_aspect_ratio_policy other than "stretch" and
// exclude_outside with a mode other than cubic. Throws Error naming the node
// and the attribute or input.
ResizeAttrs parse_resize_attrs(const Node& node, std::int64_t opset, const Shape& x, const Tensor* roi,
                               const Tensor* scales, const Tensor* sizes);

// Upsample-7/8 read the `scales` attribute (pass nullptr); Upsample-9 its
// input 1. Modes nearest and linear; coordinates as Resize-10.
ResizeAttrs parse_upsample_attrs(const Node& node, std::int64_t opset, const Shape& x, const Tensor* scales);

} // namespace tilescope::engine
