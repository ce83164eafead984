// Gather: picks entries of `data` along `axis` by `indices` (int32/int64, any
// shape, negative counts from the end):
//   out.shape = data.shape[:axis] + indices.shape + data.shape[axis+1:].
// Out-of-range indices fail at load when the indices are constant, else at run.
#include "backends/reference/ops/data_movement.h"

#include <cstring>
#include <string>

namespace tilescope::engine::reference {
namespace {

std::string out_of_range(std::int64_t index, std::int64_t dim, std::int64_t axis, const Shape& data) {
  return "index " + std::to_string(index) + " is out of range [" + std::to_string(-dim) + ", " +
         std::to_string(dim - 1) + "] for axis " + std::to_string(axis) + " of data " + shape_str(data);
}

void infer(InferContext& ctx) {
  const Shape& data = ctx.shape(0);
  const Shape& indices = ctx.shape(1);
  if (data.empty()) ctx.fail("data must have rank >= 1, got a scalar");
  if (ctx.dtype(1) != DType::kInt64 && ctx.dtype(1) != DType::kInt32) {
    ctx.fail("indices must be int64 or int32, got " + std::string(dtype_name(ctx.dtype(1))));
  }
  const auto axis = static_cast<std::size_t>(movement::normalize_axis(
      ctx, ctx.node().attrs.get_int("axis", 0), static_cast<std::int64_t>(data.size()), "axis"));
  if (const Tensor* constant = ctx.constant(1)) {
    const std::int64_t dim = data[axis];
    for (std::int64_t i = 0; i < constant->size(); ++i) {
      const std::int64_t index = constant->get_as_int(i);
      if (index < -dim || index >= dim) {
        ctx.fail(out_of_range(index, dim, static_cast<std::int64_t>(axis), data));
      }
    }
  }
  Shape out(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(axis));
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.end());
  ctx.set_output(0, ctx.dtype(0), std::move(out));
}

// data viewed as [outer, dim, inner]: out[o, j, :] = data[o, indices[j], :].
void run(const KernelContext& ctx) {
  const Tensor& data = ctx.in(0);
  const Tensor& indices = ctx.in(1);
  const auto rank = static_cast<std::int64_t>(data.shape().size());
  std::int64_t axis = ctx.node.attrs.get_int("axis", 0);
  if (axis < 0) axis += rank;
  const auto a = static_cast<std::size_t>(axis);
  const std::int64_t outer = movement::dims_product(data.shape(), 0, a);
  const std::int64_t dim = data.shape()[a];
  const auto block =
      static_cast<std::size_t>(movement::dims_product(data.shape(), a + 1, data.shape().size())) *
      dtype_size(data.dtype());
  const auto* src = static_cast<const std::byte*>(data.raw());
  auto* dst = static_cast<std::byte*>(ctx.out(0).raw());
  visit_dtype(indices.dtype(), [&](auto tag) {
    using Index = decltype(tag);
    const auto* idx = static_cast<const Index*>(indices.raw());
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t j = 0; j < indices.size(); ++j) {
        auto index = static_cast<std::int64_t>(idx[j]);
        // Checked here too: indices computed at run time must not read outside data.
        if (index < -dim || index >= dim) {
          throw Error(ctx.node.describe() + ": " + out_of_range(index, dim, axis, data.shape()));
        }
        if (index < 0) index += dim;
        std::memcpy(dst, src + static_cast<std::size_t>(o * dim + index) * block, block);
        dst += block;
      }
    }
  });
}

} // namespace

void register_gather(OpRegistry& r) { r.add({"", "Gather", infer, run}); }

} // namespace tilescope::engine::reference
