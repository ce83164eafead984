// Where: out = condition ? X : Y, numpy broadcasting over all three inputs.
#include "backends/reference/broadcast.h"
#include "backends/reference/numeric.h"

namespace tilescope::engine::reference {
namespace {

void infer(InferContext& ctx) {
  if (ctx.dtype(0) != DType::kBool)
    ctx.fail("condition must be bool, got " + std::string(dtype_name(ctx.dtype(0))));
  if (ctx.dtype(1) != ctx.dtype(2)) {
    ctx.fail("X and Y have different element types " + std::string(dtype_name(ctx.dtype(1))) + " and " +
             std::string(dtype_name(ctx.dtype(2))));
  }
  auto xy = broadcast_shapes(ctx.shape(1), ctx.shape(2));
  auto shape = xy ? broadcast_shapes(ctx.shape(0), *xy) : std::nullopt;
  if (!shape) {
    ctx.fail("cannot broadcast shapes " + shape_str(ctx.shape(0)) + ", " + shape_str(ctx.shape(1)) + " and " +
             shape_str(ctx.shape(2)));
  }
  ctx.set_output(0, ctx.dtype(1), std::move(*shape));
}

void run(const KernelContext& ctx) {
  const Tensor& c = ctx.in(0);
  const Tensor& a = ctx.in(1);
  const Tensor& b = ctx.in(2);
  Tensor& out = ctx.out(0);
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const bool* cond = c.data<bool>();
    const T* x = a.data<T>();
    const T* y = b.data<T>();
    T* z = out.data<T>();
    const std::array<std::vector<std::int64_t>, 3> strides{broadcast_strides(c.shape(), out.shape()),
                                                           broadcast_strides(a.shape(), out.shape()),
                                                           broadcast_strides(b.shape(), out.shape())};
    for_each_broadcast(out.shape(), strides, [&](std::int64_t i, const std::array<std::int64_t, 3>& off) {
      z[i] = cond[off[0]] ? x[off[1]] : y[off[2]];
    });
  });
}

} // namespace

void register_where(OpRegistry& r) { r.add({"", "Where", infer, run}); }

} // namespace tilescope::engine::reference
