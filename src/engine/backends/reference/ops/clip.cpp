// Clip: y = min(max, max(x, min)), so min > max gives max (spec, opset 13).
//   opset < 11: bounds are float attributes "min"/"max", defaulting to the
//               float32 range (-3.402823e+38, 3.402823e+38).
//   opset >= 11: bounds are optional scalar inputs 1 and 2 (an empty name means
//               absent), read at run time so they need not be constants; absent
//               means unbounded. Integer types since opset 12.
#include "backends/reference/unary_op.h"

#include <limits>

namespace tilescope::engine::reference {
namespace {

constexpr bool uses_bound_inputs(std::int64_t opset) { return opset >= 11; }

void infer(InferContext& ctx) {
  require_dtype(ctx, 0, kNumericTypes);
  if (uses_bound_inputs(ctx.opset())) {
    for (std::size_t i : {std::size_t{1}, std::size_t{2}}) {
      if (!ctx.has_input(i)) continue;
      const char* what = i == 1 ? "min" : "max";
      if (ctx.dtype(i) != ctx.dtype(0)) {
        ctx.fail(std::string(what) + " has element type " + std::string(dtype_name(ctx.dtype(i))) +
                 ", input has " + std::string(dtype_name(ctx.dtype(0))) + " (they must match)");
      }
      // The spec asks for a scalar; exporters also emit shape [1], which is unambiguous.
      if (num_elements(ctx.shape(i)) != 1) {
        ctx.fail(std::string(what) + " must be a scalar, got shape " + shape_str(ctx.shape(i)));
      }
    }
  } else {
    if (!is_float_dtype(ctx.dtype(0))) {
      ctx.fail("input 0 has element type " + std::string(dtype_name(ctx.dtype(0))) +
               "; Clip before opset 11 accepts float32, float64");
    }
    try {
      (void)ctx.node().attrs.get_float("min", 0.0f);
      (void)ctx.node().attrs.get_float("max", 0.0f);
    } catch (const Error& e) {
      ctx.fail(e.what());
    }
  }
  ctx.set_output(0, ctx.dtype(0), ctx.shape(0));
}

// The bounds in compute type C (double, or int64 for integer inputs, which
// only exist from opset 12 on).
template <class C> std::pair<C, C> bounds(const KernelContext& ctx) {
  if (!uses_bound_inputs(ctx.opset)) {
    return {static_cast<C>(ctx.node.attrs.get_float("min", std::numeric_limits<float>::lowest())),
            static_cast<C>(ctx.node.attrs.get_float("max", std::numeric_limits<float>::max()))};
  }
  auto read = [&](std::size_t i, C fallback) -> C {
    if (!ctx.has_input(i)) return fallback;
    if constexpr (std::is_floating_point_v<C>)
      return ctx.in(i).get_as_double(0);
    else
      return ctx.in(i).get_as_int(0);
  };
  // Infinities (or the int64 range) stand for "no bound".
  if constexpr (std::is_floating_point_v<C>) {
    return {read(1, -std::numeric_limits<C>::infinity()), read(2, std::numeric_limits<C>::infinity())};
  } else {
    return {read(1, std::numeric_limits<C>::lowest()), read(2, std::numeric_limits<C>::max())};
  }
}

template <class C> void clip_as(const KernelContext& ctx) {
  const std::pair<C, C> lo_hi = bounds<C>(ctx);
  const C lo = lo_hi.first, hi = lo_hi.second; // not a structured binding: clang < 16 cannot capture one
  map_elements(ctx.in(0), ctx.out(0), [lo, hi](auto x) { return clamp_keep_nan(static_cast<C>(x), lo, hi); });
}

void run(const KernelContext& ctx) {
  if (is_float_dtype(ctx.in(0).dtype())) {
    clip_as<double>(ctx);
  } else {
    clip_as<std::int64_t>(ctx);
  }
}

} // namespace

void register_clip(OpRegistry& r) { r.add({"", "Clip", infer, run}); }

} // namespace tilescope::engine::reference
