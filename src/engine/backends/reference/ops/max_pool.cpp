// MaxPool (opset 1-12): the largest input under each window, taps in the
// padding ignored (as if -inf). NaN wins, as in PyTorch and numpy's max. The
// optional Indices output holds, per output, the flat index into X of the
// first maximum in window order: row-major (storage_order 0), or with the
// spatial part column-major (storage_order 1).
#include "backends/reference/numeric.h"
#include "backends/reference/ops/pool_attrs.h"
#include "backends/reference/ops/window_3d.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace tilescope::engine::reference {
namespace {

inline constexpr DTypeSet kMaxPoolTypes = kNumericTypes;

bool wants_indices(const Node& node) { return node.outputs.size() > 1 && !node.outputs[1].empty(); }

template <class T> bool beats(T v, T best) {
  if constexpr (std::is_floating_point_v<T>) {
    return v > best || (std::isnan(v) && !std::isnan(best));
  } else {
    return v > best;
  }
}

template <class T> void max_pool(const PoolAttrs& a, const T* x, T* y, std::int64_t* indices) {
  const Window3d g = to_window_3d(a);
  const std::int64_t in_plane = g.in_plane();
  const T lowest = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                        : std::numeric_limits<T>::lowest();
  for (std::int64_t plane = 0; plane < a.batch * a.channels; ++plane) {
    const T* xp = x + plane * in_plane;
    for (std::int64_t od = 0; od < g.out[0]; ++od) {
      for (std::int64_t oh = 0; oh < g.out[1]; ++oh) {
        for (std::int64_t ow = 0; ow < g.out[2]; ++ow) {
          T best = lowest;
          std::int64_t best_at = -1; // stays -1 only if the window lies wholly in the padding
          g.for_each_tap(
              od, oh, ow,
              [&](std::int64_t at, std::int64_t, std::int64_t id, std::int64_t ih, std::int64_t iw) {
                const T v = xp[at];
                if (best_at < 0 || beats(v, best)) {
                  best = v;
                  best_at = a.storage_order == 0 ? at : id + g.in[0] * (ih + g.in[1] * iw);
                }
              });
          *y++ = best;
          if (indices != nullptr) *indices++ = best_at < 0 ? -1 : plane * in_plane + best_at;
        }
      }
    }
  }
}

void infer(InferContext& ctx) {
  require_dtype(ctx, 0, kMaxPoolTypes);
  const PoolAttrs a = parse_pool_attrs(ctx.node(), ctx.shape(0));
  if (a.spatial_rank() > kMaxSpatialRank) {
    ctx.fail("pooling over " + std::to_string(a.spatial_rank()) +
             " spatial dims is not supported (at most 3)");
  }
  ctx.set_output(0, ctx.dtype(0), a.output_shape());
  if (wants_indices(ctx.node())) ctx.set_output(1, DType::kInt64, a.output_shape());
}

void run(const KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  const PoolAttrs a = parse_pool_attrs(ctx.node, x.shape());
  std::int64_t* indices = wants_indices(ctx.node) ? ctx.out(1).data<std::int64_t>() : nullptr;
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    max_pool<T>(a, x.data<T>(), ctx.out(0).data<T>(), indices);
  });
}

} // namespace

void register_max_pool(OpRegistry& r) { r.add({"", "MaxPool", infer, run}); }

} // namespace tilescope::engine::reference
