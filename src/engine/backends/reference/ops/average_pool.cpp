// AveragePool (opset 1-19): the mean of the input under each window, summed in
// double. The divisor counts the window's taps inside the input, or with
// count_include_pad also those in the explicit/auto padding, but never the
// taps past the end padding that ceil_mode adds (PyTorch's and ONNX Runtime's
// rule).
#include "backends/reference/numeric.h"
#include "backends/reference/ops/pool_attrs.h"
#include "backends/reference/ops/window_3d.h"

namespace tilescope::engine::reference {
namespace {

// Number of taps k in [0, kernel) whose coordinate input_at(d, o, k) lies in
// [lo, hi).
std::int64_t taps_within(const Window3d& g, std::size_t d, std::int64_t o, std::int64_t lo, std::int64_t hi) {
  std::int64_t n = 0;
  for (std::int64_t k = 0; k < g.kernel[d]; ++k) {
    const std::int64_t i = g.input_at(d, o, k);
    n += (i >= lo && i < hi) ? 1 : 0;
  }
  return n;
}

template <class T> void average_pool(const PoolAttrs& a, const T* x, T* y) {
  const Window3d g = to_window_3d(a);
  const std::int64_t in_plane = g.in_plane();
  // Taps counted by the divisor along dim d for output position o.
  auto counted = [&](std::size_t d, std::int64_t o) {
    return a.count_include_pad ? taps_within(g, d, o, -g.pad_begin[d], g.in[d] + g.pad_end[d])
                               : taps_within(g, d, o, 0, g.in[d]);
  };
  for (std::int64_t plane = 0; plane < a.batch * a.channels; ++plane) {
    const T* xp = x + plane * in_plane;
    for (std::int64_t od = 0; od < g.out[0]; ++od) {
      for (std::int64_t oh = 0; oh < g.out[1]; ++oh) {
        for (std::int64_t ow = 0; ow < g.out[2]; ++ow) {
          double sum = 0.0;
          g.for_each_tap(od, oh, ow, [&](std::int64_t at, auto...) { sum += static_cast<double>(xp[at]); });
          // Windows wholly in the padding give 0 / 0 = NaN; PyTorch rejects such pads.
          const std::int64_t divisor = counted(0, od) * counted(1, oh) * counted(2, ow);
          *y++ = store_as<T>(sum / static_cast<double>(divisor));
        }
      }
    }
  }
}

void infer(InferContext& ctx) {
  require_dtype(ctx, 0, kFloatTypes);
  const PoolAttrs a = parse_pool_attrs(ctx.node(), ctx.shape(0));
  if (a.spatial_rank() > kMaxSpatialRank) {
    ctx.fail("pooling over " + std::to_string(a.spatial_rank()) +
             " spatial dims is not supported (at most 3)");
  }
  ctx.set_output(0, ctx.dtype(0), a.output_shape());
}

void run(const KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  const PoolAttrs a = parse_pool_attrs(ctx.node, x.shape());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) average_pool<T>(a, x.data<T>(), ctx.out(0).data<T>());
  });
}

} // namespace

void register_average_pool(OpRegistry& r) { r.add({"", "AveragePool", infer, run}); }

} // namespace tilescope::engine::reference
