// Shape: the input's dims as a 1-D int64 tensor. Opset 15 adds start/end
// (default 0 and rank): negative values get the rank added, both are clamped to
// [0, rank], and start >= end gives an empty result.
#include "backends/reference/ops/data_movement.h"

#include <algorithm>

namespace tilescope::engine::reference {
namespace {

// The [begin, end) range of dims to report, per the opset-15 rules above.
std::pair<std::size_t, std::size_t> dim_range(const Node& node, std::size_t rank) {
  const auto r = static_cast<std::int64_t>(rank);
  auto clamp = [r](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + r : v, 0, r); };
  const std::int64_t start = clamp(node.attrs.get_int("start", 0));
  const std::int64_t end = clamp(node.attrs.get_int("end", r));
  return {static_cast<std::size_t>(start), static_cast<std::size_t>(std::max(start, end))};
}

void infer(InferContext& ctx) {
  const auto [begin, end] = dim_range(ctx.node(), ctx.shape(0).size());
  ctx.set_output(0, DType::kInt64, {static_cast<std::int64_t>(end - begin)});
}

void run(const KernelContext& ctx) {
  const Shape& in = ctx.in(0).shape();
  const auto [begin, end] = dim_range(ctx.node, in.size());
  std::copy(in.begin() + static_cast<std::ptrdiff_t>(begin), in.begin() + static_cast<std::ptrdiff_t>(end),
            ctx.out(0).data<std::int64_t>());
}

} // namespace

void register_shape(OpRegistry& r) { r.add({"", "Shape", infer, run}); }

} // namespace tilescope::engine::reference
