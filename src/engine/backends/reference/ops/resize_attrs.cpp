#include "backends/reference/ops/resize_attrs.h"

#include "backends/reference/ops/window_attrs.h"

#include <cmath>
#include <string>

namespace tilescope::engine {
namespace {

[[noreturn]] void fail(const Node& node, const std::string& message) {
  throw Error(node.describe() + ": " + message);
}

bool present(const Tensor* t) { return t != nullptr && t->size() > 0; }

ResizeMode parse_mode(const Node& node, bool allow_cubic) {
  const std::string s = node.attrs.get_string("mode", "nearest");
  if (s == "nearest") return ResizeMode::kNearest;
  if (s == "linear" || s == "bilinear") return ResizeMode::kLinear; // "bilinear": Upsample-7 spelling
  if (s == "cubic" && allow_cubic) return ResizeMode::kCubic;
  fail(node, "attribute 'mode' value '" + s + "' is not supported (nearest, linear" +
                 (allow_cubic ? ", cubic)" : ")"));
}

CoordinateTransform parse_coordinate_transform(const Node& node) {
  const std::string s = node.attrs.get_string("coordinate_transformation_mode", "half_pixel");
  if (s == "half_pixel") return CoordinateTransform::kHalfPixel;
  if (s == "half_pixel_symmetric") return CoordinateTransform::kHalfPixelSymmetric;
  if (s == "pytorch_half_pixel") return CoordinateTransform::kPytorchHalfPixel;
  if (s == "align_corners") return CoordinateTransform::kAlignCorners;
  if (s == "asymmetric") return CoordinateTransform::kAsymmetric;
  if (s == "tf_half_pixel_for_nn") return CoordinateTransform::kTfHalfPixelForNn;
  if (s == "tf_crop_and_resize") return CoordinateTransform::kTfCropAndResize;
  fail(node, "attribute 'coordinate_transformation_mode' value '" + s + "' is not supported");
}

NearestMode parse_nearest_mode(const Node& node) {
  const std::string s = node.attrs.get_string("nearest_mode", "round_prefer_floor");
  if (s == "round_prefer_floor") return NearestMode::kRoundPreferFloor;
  if (s == "round_prefer_ceil") return NearestMode::kRoundPreferCeil;
  if (s == "floor") return NearestMode::kFloor;
  if (s == "ceil") return NearestMode::kCeil;
  fail(node, "attribute 'nearest_mode' value '" + s +
                 "' is not supported (round_prefer_floor, round_prefer_ceil, floor, ceil)");
}

// The axes scales/sizes/roi refer to: `axes` (opset 18) or all dims of X.
std::vector<std::size_t> parse_axes(const Node& node, std::size_t rank) {
  std::vector<std::size_t> axes;
  if (!node.attrs.has("axes")) {
    for (std::size_t i = 0; i < rank; ++i)
      axes.push_back(i);
    return axes;
  }
  std::vector<bool> seen(rank, false);
  for (std::int64_t a : node.attrs.get_ints("axes")) {
    const std::int64_t r = static_cast<std::int64_t>(rank);
    const std::int64_t axis = a < 0 ? a + r : a;
    if (axis < 0 || axis >= r || seen[static_cast<std::size_t>(axis)]) {
      fail(node, "attribute 'axes' " + shape_str(node.attrs.get_ints("axes")) +
                     " is out of range or repeats for rank " + std::to_string(rank));
    }
    seen[static_cast<std::size_t>(axis)] = true;
    axes.push_back(static_cast<std::size_t>(axis));
  }
  return axes;
}

void check_count(const Node& node, const char* what, const Tensor& t, std::size_t expected) {
  if (static_cast<std::size_t>(t.size()) != expected) {
    fail(node, std::string("input '") + what + "' has " + std::to_string(t.size()) + " values, expected " +
                   std::to_string(expected));
  }
}

// Output shape from per-dim scales: floor(input * scale), as ONNX's reference
// computes it (in double, from the float32 scale).
void apply_scales(const Node& node, const Shape& x, ResizeAttrs& a) {
  a.output_shape.resize(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(a.scales[i] > 0.0))
      fail(node, "scale " + std::to_string(a.scales[i]) + " for dim " + std::to_string(i) + " must be > 0");
    a.output_shape[i] = static_cast<std::int64_t>(std::floor(static_cast<double>(x[i]) * a.scales[i]));
    if (a.output_shape[i] < 1 && x[i] > 0) {
      fail(node, "scale " + std::to_string(a.scales[i]) + " makes dim " + std::to_string(i) + " of input " +
                     shape_str(x) + " empty");
    }
  }
}

} // namespace

ResizeAttrs parse_resize_attrs(const Node& node, std::int64_t opset, const Shape& x, const Tensor* roi,
                               const Tensor* scales, const Tensor* sizes) {
  return with_node_context(node, [&] {
    const std::size_t rank = x.size();
    if (rank == 0) fail(node, "input X must have at least one dim");
    ResizeAttrs a;
    a.mode = parse_mode(node, /*allow_cubic=*/opset >= 11);
    if (opset >= 11) {
      a.coordinate_transform = parse_coordinate_transform(node);
      a.nearest_mode = parse_nearest_mode(node);
      a.cubic_coeff_a = node.attrs.get_float("cubic_coeff_a", -0.75f);
      a.exclude_outside = node.attrs.get_int("exclude_outside", 0) != 0;
      a.extrapolation_value = node.attrs.get_float("extrapolation_value", 0.0f);
    } else {
      a.coordinate_transform = CoordinateTransform::kAsymmetric;
      a.nearest_mode = NearestMode::kSimple;
    }
    if (a.exclude_outside && a.mode != ResizeMode::kCubic) {
      fail(node, "attribute 'exclude_outside' value 1 is only supported with mode 'cubic'");
    }
    if (const std::int64_t antialias = node.attrs.get_int("antialias", 0); antialias != 0) {
      fail(node, "attribute 'antialias' value " + std::to_string(antialias) + " is not supported (only 0)");
    }
    if (const std::string policy = node.attrs.get_string("keep_aspect_ratio_policy", "stretch");
        policy != "stretch") {
      fail(node,
           "attribute 'keep_aspect_ratio_policy' value '" + policy + "' is not supported (only stretch)");
    }
    const std::vector<std::size_t> axes = parse_axes(node, rank);

    a.scales.assign(rank, 1.0);
    if (present(scales) == present(sizes)) {
      fail(node, present(scales) ? "inputs 'scales' and 'sizes' are both given; give one"
                                 : "neither input 'scales' nor 'sizes' is given");
    }
    if (present(scales)) {
      check_count(node, "scales", *scales, axes.size());
      for (std::size_t i = 0; i < axes.size(); ++i)
        a.scales[axes[i]] = scales->get_as_double(static_cast<std::int64_t>(i));
      apply_scales(node, x, a);
    } else {
      check_count(node, "sizes", *sizes, axes.size());
      a.output_shape = x;
      for (std::size_t i = 0; i < axes.size(); ++i) {
        const std::int64_t size = sizes->get_as_int(static_cast<std::int64_t>(i));
        const std::size_t axis = axes[i];
        if (size < 1 || x[axis] < 1) {
          fail(node, "input 'sizes' " + shape_str(sizes->to_int64_vector()) + " does not fit input " +
                         shape_str(x) + " (every size and resized dim must be >= 1)");
        }
        a.output_shape[axis] = size;
        a.scales[axis] = static_cast<double>(size) / static_cast<double>(x[axis]);
      }
    }

    a.roi_start.assign(rank, 0.0);
    a.roi_end.assign(rank, 1.0);
    if (a.coordinate_transform == CoordinateTransform::kTfCropAndResize) {
      if (!present(roi)) fail(node, "coordinate_transformation_mode 'tf_crop_and_resize' needs input 'roi'");
      check_count(node, "roi", *roi, 2 * axes.size());
      for (std::size_t i = 0; i < axes.size(); ++i) {
        a.roi_start[axes[i]] = roi->get_as_double(static_cast<std::int64_t>(i));
        a.roi_end[axes[i]] = roi->get_as_double(static_cast<std::int64_t>(i + axes.size()));
      }
    }
    return a;
  });
}

ResizeAttrs parse_upsample_attrs(const Node& node, std::int64_t opset, const Shape& x, const Tensor* scales) {
  return with_node_context(node, [&] {
    if (opset < 7)
      fail(node, "Upsample before opset 7 (height_scale/width_scale attributes) is not supported");
    const std::size_t rank = x.size();
    if (rank == 0) fail(node, "input X must have at least one dim");
    ResizeAttrs a;
    a.mode = parse_mode(node, /*allow_cubic=*/false);
    a.coordinate_transform = CoordinateTransform::kAsymmetric;
    a.nearest_mode = NearestMode::kSimple;
    if (opset < 9) {
      if (!node.attrs.has("scales")) fail(node, "required attribute 'scales' is missing");
      const std::vector<float> v = node.attrs.get_floats("scales");
      if (v.size() != rank) {
        fail(node,
             "attribute 'scales' has " + std::to_string(v.size()) + " values for input " + shape_str(x));
      }
      a.scales.assign(v.begin(), v.end());
    } else {
      if (!present(scales)) fail(node, "input 'scales' is missing or empty");
      check_count(node, "scales", *scales, rank);
      a.scales.resize(rank);
      for (std::size_t i = 0; i < rank; ++i)
        a.scales[i] = scales->get_as_double(static_cast<std::int64_t>(i));
    }
    apply_scales(node, x, a);
    a.roi_start.assign(rank, 0.0);
    a.roi_end.assign(rank, 1.0);
    return a;
  });
}

} // namespace tilescope::engine
