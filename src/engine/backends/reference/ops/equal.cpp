// Equal: C = (A == B) as bool, numpy broadcasting; both inputs of one type.
// (Dynamic-shape exports compute grid sizes with it; YOLOv5's Detect does.)
#include "backends/reference/broadcast.h"
#include "backends/reference/numeric.h"

namespace tilescope::engine::reference {
namespace {

void infer(InferContext& ctx) {
  if (ctx.dtype(0) != ctx.dtype(1)) {
    ctx.fail("inputs have different element types " + std::string(dtype_name(ctx.dtype(0))) + " and " +
             std::string(dtype_name(ctx.dtype(1))));
  }
  auto shape = broadcast_shapes(ctx.shape(0), ctx.shape(1));
  if (!shape)
    ctx.fail("cannot broadcast shapes " + shape_str(ctx.shape(0)) + " and " + shape_str(ctx.shape(1)));
  ctx.set_output(0, DType::kBool, std::move(*shape));
}

void run(const KernelContext& ctx) {
  const Tensor& a = ctx.in(0);
  const Tensor& b = ctx.in(1);
  Tensor& out = ctx.out(0);
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = a.data<T>();
    const T* y = b.data<T>();
    bool* z = out.data<bool>();
    const std::array<std::vector<std::int64_t>, 2> strides{broadcast_strides(a.shape(), out.shape()),
                                                           broadcast_strides(b.shape(), out.shape())};
    for_each_broadcast(out.shape(), strides, [&](std::int64_t i, const std::array<std::int64_t, 2>& off) {
      z[i] = x[off[0]] == y[off[1]];
    });
  });
}

} // namespace

void register_equal(OpRegistry& r) { r.add({"", "Equal", infer, run}); }

} // namespace tilescope::engine::reference
