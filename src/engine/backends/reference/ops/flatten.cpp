// Flatten: [d0..dn) -> [d0*..*d(axis-1), d(axis)*..*d(n-1)]. axis in [-r, r]
// (negative since opset 11); axis 0 gives [1, all].
#include "backends/reference/ops/data_movement.h"

namespace tilescope::engine::reference {
namespace {

void infer(InferContext& ctx) {
  const Shape& in = ctx.shape(0);
  const auto rank = static_cast<std::int64_t>(in.size());
  // Flatten's axis may equal the rank (everything goes to the first dim), so
  // normalise against rank + 1.
  std::int64_t axis = ctx.node().attrs.get_int("axis", 1);
  if (axis < -rank || axis > rank) {
    ctx.fail("axis " + std::to_string(axis) + " is out of range [" + std::to_string(-rank) + ", " +
             std::to_string(rank) + "] for input shape " + shape_str(in));
  }
  if (axis < 0) axis += rank;
  const auto split = static_cast<std::size_t>(axis);
  ctx.set_output(0, ctx.dtype(0),
                 {movement::dims_product(in, 0, split), movement::dims_product(in, split, in.size())});
}

} // namespace

void register_flatten(OpRegistry& r) { r.add({"", "Flatten", infer, movement::copy_input_to_output}); }

} // namespace tilescope::engine::reference
