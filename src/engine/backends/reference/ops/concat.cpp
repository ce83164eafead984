// Concat: joins the inputs along `axis` (negative since opset 11). All inputs
// have the same dtype, rank and dims except along axis; empty inputs are fine.
#include "backends/reference/ops/data_movement.h"

#include <algorithm>
#include <cstring>

namespace tilescope::engine::reference {
namespace {

void infer(InferContext& ctx) {
  if (ctx.num_inputs() == 0) ctx.fail("needs at least one input");
  if (!ctx.node().attrs.has("axis")) ctx.fail("required attribute 'axis' is missing");
  const Shape& first = ctx.shape(0);
  const auto rank = static_cast<std::int64_t>(first.size());
  if (rank == 0) ctx.fail("cannot concatenate scalars (input 0 has rank 0)");
  const auto axis =
      static_cast<std::size_t>(movement::normalize_axis(ctx, ctx.node().attrs.get_int("axis"), rank, "axis"));
  Shape out = first;
  out[axis] = 0;
  for (std::size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Shape& s = ctx.shape(i);
    if (ctx.dtype(i) != ctx.dtype(0)) {
      ctx.fail("input " + std::to_string(i) + " is " + std::string(dtype_name(ctx.dtype(i))) +
               " but input 0 is " + std::string(dtype_name(ctx.dtype(0))));
    }
    bool compatible = s.size() == first.size();
    for (std::size_t d = 0; compatible && d < s.size(); ++d)
      compatible = d == axis || s[d] == first[d];
    if (!compatible) {
      ctx.fail("input " + std::to_string(i) + " has shape " + shape_str(s) + ", incompatible with input 0 " +
               shape_str(first) + " for concatenation along axis " + std::to_string(axis));
    }
    out[axis] += s[axis];
  }
  ctx.set_output(0, ctx.dtype(0), std::move(out));
}

// Row-major, the output is `outer` rows each made of one block per input, where
// input i's block is its dims from axis on.
void run(const KernelContext& ctx) {
  Tensor& out = ctx.out(0);
  const auto rank = static_cast<std::int64_t>(out.shape().size());
  std::int64_t axis = ctx.node.attrs.get_int("axis");
  if (axis < 0) axis += rank;
  const std::int64_t outer = movement::dims_product(out.shape(), 0, static_cast<std::size_t>(axis));
  const std::size_t elem = dtype_size(out.dtype());
  auto* dst = static_cast<std::byte*>(out.raw());
  for (std::int64_t o = 0; o < outer; ++o) {
    for (const Tensor* in : ctx.inputs) {
      const std::size_t block =
          static_cast<std::size_t>(in->size() / std::max<std::int64_t>(outer, 1)) * elem;
      std::memcpy(dst, static_cast<const std::byte*>(in->raw()) + static_cast<std::size_t>(o) * block, block);
      dst += block;
    }
  }
}

} // namespace

void register_concat(OpRegistry& r) { r.add({"", "Concat", infer, run}); }

} // namespace tilescope::engine::reference
