// Squeeze: removes the listed size-1 dims, or every size-1 dim when no axes are
// given. Axes come from the `axes` attribute before opset 13 and from the
// optional input 1 since, which must then be known at load time.
#include "backends/reference/ops/data_movement.h"

namespace tilescope::engine::reference {
namespace {

void infer(InferContext& ctx) {
  const Shape& in = ctx.shape(0);
  const auto rank = static_cast<std::int64_t>(in.size());
  std::vector<bool> drop(in.size(), false);
  const bool axes_given = ctx.opset() < 13 ? ctx.node().attrs.has("axes") : ctx.has_input(1);
  if (axes_given) {
    const std::vector<std::int64_t> axes =
        ctx.opset() < 13 ? ctx.node().attrs.get_ints("axes") : movement::constant_ints(ctx, 1, "axes");
    for (std::int64_t a : movement::normalize_axes(ctx, axes, rank, "axis")) {
      if (in[static_cast<std::size_t>(a)] != 1) {
        ctx.fail("cannot squeeze axis " + std::to_string(a) + " of input " + shape_str(in) +
                 ": its size is " + std::to_string(in[static_cast<std::size_t>(a)]) + ", not 1");
      }
      drop[static_cast<std::size_t>(a)] = true;
    }
  } else {
    for (std::size_t i = 0; i < in.size(); ++i)
      drop[i] = in[i] == 1;
  }
  Shape out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (!drop[i]) out.push_back(in[i]);
  }
  ctx.set_output(0, ctx.dtype(0), std::move(out));
}

} // namespace

void register_squeeze(OpRegistry& r) { r.add({"", "Squeeze", infer, movement::copy_input_to_output}); }

} // namespace tilescope::engine::reference
