// Unsqueeze: inserts size-1 dims at the listed axes, which index the *output*
// (rank = input rank + number of axes), in any order. Axes come from the `axes`
// attribute before opset 13 and from input 1 since (known at load time).
#include "backends/reference/ops/data_movement.h"

namespace tilescope::engine::reference {
namespace {

void infer(InferContext& ctx) {
  const Shape& in = ctx.shape(0);
  std::vector<std::int64_t> axes;
  if (ctx.opset() < 13) {
    if (!ctx.node().attrs.has("axes")) ctx.fail("required attribute 'axes' is missing");
    axes = ctx.node().attrs.get_ints("axes");
  } else {
    if (!ctx.has_input(1)) ctx.fail("input 1 (axes) is missing; it is required since opset 13");
    axes = movement::constant_ints(ctx, 1, "axes");
  }
  const auto out_rank = static_cast<std::int64_t>(in.size() + axes.size());
  std::vector<bool> inserted(static_cast<std::size_t>(out_rank), false);
  for (std::int64_t a : movement::normalize_axes(ctx, axes, out_rank, "axis")) {
    inserted[static_cast<std::size_t>(a)] = true;
  }
  Shape out;
  std::size_t next_in = 0;
  for (bool ins : inserted)
    out.push_back(ins ? 1 : in[next_in++]);
  ctx.set_output(0, ctx.dtype(0), std::move(out));
}

} // namespace

void register_unsqueeze(OpRegistry& r) { r.add({"", "Unsqueeze", infer, movement::copy_input_to_output}); }

} // namespace tilescope::engine::reference
