// Resize (opset 10-19): nearest, linear (any number of dims) and cubic
// interpolation with every coordinate_transformation_mode of the spec.
//
// Semantics follow ONNX's reference implementation (onnx/reference/ops/
// op_resize.py), which generated the ONNX node tests:
//  - align_corners and tf_crop_and_resize measure the resized length as
//    input * scale, unrounded (so scales 0.6 on 4 elements divide by 1.4);
//  - taps outside the input repeat the edge element (edge padding), except
//    that cubic with exclude_outside drops them and renormalises the weights;
//  - tf_crop_and_resize gives extrapolation_value for coordinates outside
//    [0, input - 1].
#include "backends/reference/numeric.h"
#include "backends/reference/ops/resize_reference.h"

#include <cmath>
#include <type_traits>
#include <vector>

namespace tilescope::engine::reference {
namespace {

struct Tap {
  std::int64_t index;
  double weight;
};
// taps[o] for each output coordinate o of one dim; empty = extrapolate.
using DimTaps = std::vector<std::vector<Tap>>;

double source_coordinate(const ResizeAttrs& a, std::size_t d, std::int64_t o, std::int64_t in_len,
                         std::int64_t out_len) {
  const double scale = a.scales[d];
  const double x = static_cast<double>(o);
  const double in = static_cast<double>(in_len);
  const double out = in * scale; // ONNX's reference: the unrounded resized length
  switch (a.coordinate_transform) {
  case CoordinateTransform::kHalfPixel: return (x + 0.5) / scale - 0.5;
  case CoordinateTransform::kHalfPixelSymmetric: {
    const double adjustment = static_cast<double>(out_len) / out;
    const double offset = in / 2.0 * (1.0 - adjustment);
    return offset + (x + 0.5) / scale - 0.5;
  }
  case CoordinateTransform::kPytorchHalfPixel: return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  case CoordinateTransform::kAlignCorners: return out == 1.0 ? 0.0 : x * (in - 1.0) / (out - 1.0);
  case CoordinateTransform::kAsymmetric: return x / scale;
  case CoordinateTransform::kTfHalfPixelForNn: return (x + 0.5) / scale;
  case CoordinateTransform::kTfCropAndResize: {
    const double start = a.roi_start[d];
    const double end = a.roi_end[d];
    if (out == 1.0) return 0.5 * (start + end) * (in - 1.0);
    return start * (in - 1.0) + x * (end - start) * (in - 1.0) / (out - 1.0);
  }
  }
  return x;
}

// The nearest input index before clamping: floor(x) or floor(x) + 1.
std::int64_t nearest_index(NearestMode mode, double x, double scale) {
  const double floor_x = std::floor(x);
  const double frac = x - floor_x;
  const auto lo = static_cast<std::int64_t>(floor_x);
  if (frac == 0.0) return lo;
  switch (mode) {
  case NearestMode::kRoundPreferFloor: return frac <= 0.5 ? lo : lo + 1;
  case NearestMode::kRoundPreferCeil: return frac < 0.5 ? lo : lo + 1;
  case NearestMode::kFloor: return lo;
  case NearestMode::kCeil: return lo + 1;
  case NearestMode::kSimple: return scale < 1.0 ? lo + 1 : static_cast<std::int64_t>(std::trunc(x));
  }
  return lo;
}

// Keys' cubic convolution weights of the taps at floor(x) - 1 .. floor(x) + 2
// for frac = x - floor(x), as ONNX writes them.
std::vector<double> cubic_weights(double frac, double a) {
  auto near = [a](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };      // |t| <= 1
  auto far = [a](double t) { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; }; // 1 < |t| < 2
  return {far(frac + 1), near(frac), near(1 - frac), far(2 - frac)};
}

DimTaps dim_taps(const ResizeAttrs& a, std::size_t d, std::int64_t in_len, std::int64_t out_len) {
  DimTaps taps(static_cast<std::size_t>(out_len));
  auto clamp_index = [in_len](std::int64_t i) { return std::min(std::max<std::int64_t>(i, 0), in_len - 1); };
  for (std::int64_t o = 0; o < out_len; ++o) {
    const double x = source_coordinate(a, d, o, in_len, out_len);
    std::vector<Tap>& t = taps[static_cast<std::size_t>(o)];
    if (a.coordinate_transform == CoordinateTransform::kTfCropAndResize &&
        (x < 0.0 || x > static_cast<double>(in_len - 1))) {
      continue; // extrapolate
    }
    const double floor_x = std::floor(x);
    const double frac = x - floor_x;
    const auto lo = static_cast<std::int64_t>(floor_x);
    switch (a.mode) {
    case ResizeMode::kNearest:
      t.push_back({clamp_index(nearest_index(a.nearest_mode, x, a.scales[d])), 1.0});
      break;
    case ResizeMode::kLinear:
      t.push_back({clamp_index(lo), 1.0 - frac});
      t.push_back({clamp_index(lo + 1), frac});
      break;
    case ResizeMode::kCubic: {
      std::vector<double> w = cubic_weights(frac, a.cubic_coeff_a);
      double total = 0.0;
      for (std::int64_t k = 0; k < 4; ++k) {
        const std::int64_t i = lo - 1 + k;
        if (a.exclude_outside && (i < 0 || i >= in_len)) w[static_cast<std::size_t>(k)] = 0.0;
        total += w[static_cast<std::size_t>(k)];
      }
      for (std::int64_t k = 0; k < 4; ++k) {
        const double wk =
            a.exclude_outside ? w[static_cast<std::size_t>(k)] / total : w[static_cast<std::size_t>(k)];
        t.push_back({clamp_index(lo - 1 + k), wk});
      }
      break;
    }
    }
    // Zero-weight taps (e.g. linear at an exact input position) change nothing; dropping
    // them keeps unresized dims at one tap.
    std::erase_if(t, [](const Tap& tap) { return tap.weight == 0.0; });
    if (t.empty()) t.push_back({clamp_index(lo), 0.0});
  }
  return taps;
}

template <class T> void resize_loop(const ResizeAttrs& a, const T* x, const Shape& x_shape, T* y) {
  const std::size_t rank = x_shape.size();
  const Shape& y_shape = a.output_shape;
  const std::vector<std::int64_t> x_strides = strides_of(x_shape);
  std::vector<DimTaps> taps;
  for (std::size_t d = 0; d < rank; ++d)
    taps.push_back(dim_taps(a, d, x_shape[d], y_shape[d]));

  const std::int64_t total = num_elements(y_shape);
  std::vector<std::int64_t> o(rank, 0); // output multi-index
  std::vector<std::size_t> k(rank, 0);  // tap multi-index
  std::vector<const std::vector<Tap>*> t(rank);
  for (std::int64_t flat = 0; flat < total; ++flat) {
    bool extrapolate = false;
    for (std::size_t d = 0; d < rank; ++d) {
      t[d] = &taps[d][static_cast<std::size_t>(o[d])];
      extrapolate = extrapolate || t[d]->empty();
    }
    double value = a.extrapolation_value;
    if (!extrapolate) {
      value = 0.0;
      std::fill(k.begin(), k.end(), 0);
      while (true) {
        double w = 1.0;
        std::int64_t offset = 0;
        for (std::size_t d = 0; d < rank; ++d) {
          const Tap& tap = (*t[d])[k[d]];
          w *= tap.weight;
          offset += tap.index * x_strides[d];
        }
        value += w * static_cast<double>(x[offset]);
        std::size_t d = rank;
        while (d > 0 && ++k[d - 1] == t[d - 1]->size())
          k[--d] = 0;
        if (d == 0) break;
      }
    }
    y[flat] = store_as<T>(value);
    for (std::size_t d = rank; d > 0 && ++o[d - 1] == y_shape[d - 1];)
      o[--d] = 0;
  }
}

// Resize-10: [X, scales]; Resize-11+: [X, roi, scales, sizes].
struct ResizeInputs {
  const Tensor* roi = nullptr;
  const Tensor* scales = nullptr;
  const Tensor* sizes = nullptr;
};

void infer(InferContext& ctx) {
  ResizeInputs in;
  if (ctx.opset() < 11) {
    in.scales = &ctx.require_constant(1);
  } else {
    // roi matters only for tf_crop_and_resize; a non-constant roi elsewhere is ignored.
    const bool crop =
        ctx.node().attrs.get_string("coordinate_transformation_mode", "") == "tf_crop_and_resize";
    if (ctx.has_input(1)) in.roi = crop ? &ctx.require_constant(1) : ctx.constant(1);
    if (ctx.has_input(2)) in.scales = &ctx.require_constant(2);
    if (ctx.has_input(3)) in.sizes = &ctx.require_constant(3);
  }
  infer_resize_common(ctx,
                      parse_resize_attrs(ctx.node(), ctx.opset(), ctx.shape(0), in.roi, in.scales, in.sizes));
}

void run(const KernelContext& ctx) {
  auto input = [&](std::size_t i) { return ctx.has_input(i) ? &ctx.in(i) : nullptr; };
  ResizeInputs in;
  if (ctx.opset < 11) {
    in.scales = input(1);
  } else {
    in = {input(1), input(2), input(3)};
  }
  resize_reference(parse_resize_attrs(ctx.node, ctx.opset, ctx.in(0).shape(), in.roi, in.scales, in.sizes),
                   ctx.in(0), ctx.out(0));
}

} // namespace

void infer_resize_common(InferContext& ctx, const ResizeAttrs& a) {
  require_dtype(ctx, 0, kFloatTypes);
  ctx.set_output(0, ctx.dtype(0), a.output_shape);
}

void resize_reference(const ResizeAttrs& a, const Tensor& x, Tensor& y) {
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) resize_loop<T>(a, x.data<T>(), x.shape(), y.data<T>());
  });
}

void register_resize(OpRegistry& r) { r.add({"", "Resize", infer, run}); }

} // namespace tilescope::engine::reference
