// ConstantOfShape: a tensor of the shape given by input 1-D int64 input 0 (known
// at load time; an empty shape gives a scalar) filled with the one-element
// `value` attribute, whose dtype the output takes (default: float32 0).
#include "backends/reference/ops/data_movement.h"

#include <cstring>

namespace tilescope::engine::reference {
namespace {

void infer(InferContext& ctx) {
  const std::vector<std::int64_t> shape = movement::constant_ints(ctx, 0, "shape");
  for (std::int64_t d : shape) {
    if (d < 0) ctx.fail("shape " + movement::ints_str(shape) + " has negative dim " + std::to_string(d));
  }
  DType dtype = DType::kFloat32;
  if (ctx.node().attrs.has("value")) {
    const Tensor& value = ctx.node().attrs.get_tensor("value");
    if (value.size() != 1) {
      ctx.fail("attribute 'value' must hold one element, got shape " + shape_str(value.shape()));
    }
    dtype = value.dtype();
  }
  ctx.set_output(0, dtype, Shape(shape.begin(), shape.end()));
}

// Repeats the value's bytes, so every dtype takes the same path.
void run(const KernelContext& ctx) {
  Tensor& out = ctx.out(0);
  if (!ctx.node.attrs.has("value")) return; // outputs are zero-initialised: float32 0 already
  const Tensor& value = ctx.node.attrs.get_tensor("value");
  const std::size_t elem = value.nbytes();
  auto* dst = static_cast<std::byte*>(out.raw());
  for (std::int64_t i = 0; i < out.size(); ++i)
    std::memcpy(dst + static_cast<std::size_t>(i) * elem, value.raw(), elem);
}

} // namespace

void register_constant_of_shape(OpRegistry& r) { r.add({"", "ConstantOfShape", infer, run}); }

} // namespace tilescope::engine::reference
