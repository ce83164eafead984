#include "backends/reference/ops/quant_linear.h"

namespace tilescope::engine::reference {
namespace {

QuantLayout layout_for(const Shape& x, const Shape& scale, std::int64_t axis) {
  QuantLayout layout;
  if (num_elements(scale) == 1) return layout; // per-tensor
  const auto rank = static_cast<std::int64_t>(x.size());
  if (axis < 0) axis += rank;
  layout.channels = x[static_cast<std::size_t>(axis)];
  for (std::int64_t d = axis + 1; d < rank; ++d)
    layout.inner *= x[static_cast<std::size_t>(d)];
  return layout;
}

} // namespace

QuantLayout check_quant_params(const InferContext& ctx, DTypeSet zero_point_types) {
  require_dtype(ctx, 1, {DType::kFloat32});
  const Shape& x = ctx.shape(0);
  const Shape& scale = ctx.shape(1);
  const auto rank = static_cast<std::int64_t>(x.size());
  std::int64_t axis = 1;
  try {
    axis = ctx.node().attrs.get_int("axis", 1);
  } catch (const Error& e) {
    ctx.fail(e.what());
  }
  const bool per_tensor = num_elements(scale) == 1 && scale.size() <= 1;
  if (!per_tensor) {
    if (ctx.opset() < 13) {
      ctx.fail("scale has shape " + shape_str(scale) + "; before opset 13 it must be a scalar (per-tensor)");
    }
    if (scale.size() != 1) ctx.fail("scale must be a scalar or 1-D, got shape " + shape_str(scale));
    if (axis < -rank || axis >= rank) {
      ctx.fail("axis " + std::to_string(axis) + " is out of range for input of rank " + std::to_string(rank));
    }
    const std::int64_t a = axis < 0 ? axis + rank : axis;
    if (scale[0] != x[static_cast<std::size_t>(a)]) {
      ctx.fail("scale has " + std::to_string(scale[0]) + " values but input dim " + std::to_string(a) +
               " (axis) is " + std::to_string(x[static_cast<std::size_t>(a)]) + " in shape " + shape_str(x));
    }
  }
  if (ctx.has_input(2)) {
    require_dtype(ctx, 2, zero_point_types);
    if (ctx.shape(2) != scale && num_elements(ctx.shape(2)) != num_elements(scale)) {
      ctx.fail("zero point has shape " + shape_str(ctx.shape(2)) + ", scale has " + shape_str(scale) +
               " (they must match)");
    }
  }
  return layout_for(x, scale, axis);
}

QuantLayout quant_layout(const KernelContext& ctx) {
  return layout_for(ctx.in(0).shape(), ctx.in(1).shape(), ctx.node.attrs.get_int("axis", 1));
}

} // namespace tilescope::engine::reference
