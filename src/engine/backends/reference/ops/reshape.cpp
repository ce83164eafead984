// Reshape: same data, new shape. The target shape (input 1 since opset 5, the
// `shape` attribute before) must be known at load time. In it, -1 (at most once)
// is inferred from the element count, and 0 copies the input's dim at the same
// index unless allowzero=1 (opset 14), where 0 means an empty dim.
#include "backends/reference/ops/data_movement.h"

namespace tilescope::engine::reference {
namespace {

using movement::ints_str;

void infer(InferContext& ctx) {
  const Shape& in = ctx.shape(0);
  std::vector<std::int64_t> target = ctx.opset() < 5 && ctx.node().attrs.has("shape")
                                         ? ctx.node().attrs.get_ints("shape")
                                         : movement::constant_ints(ctx, 1, "target shape");
  const bool allow_zero = ctx.node().attrs.get_int("allowzero", 0) != 0;

  Shape out(target.size());
  std::int64_t inferred = -1; // index of the -1 entry
  std::int64_t known = 1;     // product of the other entries
  for (std::size_t i = 0; i < target.size(); ++i) {
    std::int64_t d = target[i];
    if (d == -1) {
      if (inferred >= 0) ctx.fail("target shape " + ints_str(target) + " has more than one -1");
      inferred = static_cast<std::int64_t>(i);
      continue;
    }
    if (d < -1) ctx.fail("target shape " + ints_str(target) + " has invalid dim " + std::to_string(d));
    if (d == 0 && !allow_zero) {
      if (i >= in.size()) {
        ctx.fail("target shape " + ints_str(target) + " has 0 at index " + std::to_string(i) +
                 " (copy the input dim) but the input " + shape_str(in) + " has rank " +
                 std::to_string(in.size()));
      }
      d = in[i];
    }
    out[i] = d;
    known *= d;
  }
  const std::int64_t total = num_elements(in);
  if (inferred >= 0) {
    if (known == 0 || total % known != 0) {
      ctx.fail("cannot reshape input " + shape_str(in) + " (" + std::to_string(total) + " elements) to " +
               ints_str(target) + ": the -1 dim cannot be inferred");
    }
    out[static_cast<std::size_t>(inferred)] = total / known;
  } else if (known != total) {
    ctx.fail("cannot reshape input " + shape_str(in) + " (" + std::to_string(total) + " elements) to " +
             ints_str(target) + " = " + shape_str(out) + " (" + std::to_string(known) + " elements)");
  }
  ctx.set_output(0, ctx.dtype(0), std::move(out));
}

} // namespace

void register_reshape(OpRegistry& r) { r.add({"", "Reshape", infer, movement::copy_input_to_output}); }

} // namespace tilescope::engine::reference
