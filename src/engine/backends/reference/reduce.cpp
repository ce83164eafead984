#include "backends/reference/reduce.h"

#include <algorithm>

namespace tilescope::engine::reference {
namespace {

constexpr bool axes_from_input(std::int64_t opset) { return opset >= 18; }

} // namespace

ReducePlan plan_reduce(const Attributes& attrs, std::int64_t opset, const Shape& in,
                       const Tensor* axes_tensor) {
  const std::int64_t keepdims = attrs.get_int("keepdims", 1);
  const std::int64_t noop = attrs.get_int("noop_with_empty_axes", 0);
  if (keepdims != 0 && keepdims != 1)
    throw Error("attribute keepdims must be 0 or 1, got " + std::to_string(keepdims));
  if (noop != 0 && noop != 1) {
    throw Error("attribute noop_with_empty_axes must be 0 or 1, got " + std::to_string(noop));
  }
  std::vector<std::int64_t> axes;
  if (axes_from_input(opset)) {
    if (attrs.has("axes")) throw Error("axes is an input since opset 18, not an attribute");
    if (axes_tensor != nullptr) {
      if (axes_tensor->dtype() != DType::kInt64) {
        throw Error("axes must be int64, got " + std::string(dtype_name(axes_tensor->dtype())));
      }
      axes = axes_tensor->to_int64_vector();
    }
  } else {
    axes = attrs.get_ints("axes");
  }

  const auto rank = static_cast<std::int64_t>(in.size());
  std::vector<bool> reduced(in.size(), false);
  if (axes.empty()) {
    if (noop == 0) reduced.assign(in.size(), true);
  }
  for (std::int64_t axis : axes) {
    if (axis < -rank || axis >= rank) {
      throw Error("axis " + std::to_string(axis) + " is out of range for input of rank " +
                  std::to_string(rank));
    }
    const auto a = static_cast<std::size_t>(axis < 0 ? axis + rank : axis);
    if (reduced[a]) throw Error("axis " + std::to_string(axis) + " appears more than once in axes");
    reduced[a] = true;
  }

  ReducePlan plan;
  for (std::size_t d = 0; d < in.size(); ++d) {
    plan.kept_shape.push_back(reduced[d] ? 1 : in[d]);
    if (reduced[d]) plan.count *= in[d];
    if (!reduced[d] || keepdims == 1) plan.out_shape.push_back(plan.kept_shape.back());
  }
  return plan;
}

void reduce_infer(InferContext& ctx, DTypeSet types) {
  require_dtype(ctx, 0, types);
  const Tensor* axes = nullptr;
  if (ctx.has_input(1)) {
    if (!axes_from_input(ctx.opset())) ctx.fail("axes is an attribute before opset 18, not an input");
    axes = &ctx.require_constant(1);
  }
  try {
    ctx.set_output(0, ctx.dtype(0), plan_reduce(ctx.node().attrs, ctx.opset(), ctx.shape(0), axes).out_shape);
  } catch (const Error& e) {
    ctx.fail(e.what());
  }
}

} // namespace tilescope::engine::reference
