// GlobalAveragePool: y[n, c, 1, ...] = mean of X[n, c, ...] over all spatial
// dims, summed in double.
#include "backends/reference/numeric.h"

namespace tilescope::engine::reference {
namespace {

void infer(InferContext& ctx) {
  require_dtype(ctx, 0, kFloatTypes);
  const Shape& x = ctx.shape(0);
  if (x.size() < 3) ctx.fail("input X has shape " + shape_str(x) + ", expected [N, C, spatial...]");
  Shape y(x.size(), 1);
  y[0] = x[0];
  y[1] = x[1];
  ctx.set_output(0, ctx.dtype(0), y);
}

void run(const KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  const std::int64_t planes = x.shape()[0] * x.shape()[1];
  const std::int64_t plane = planes == 0 ? 0 : x.size() / planes;
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* in = x.data<T>();
      T* out = ctx.out(0).data<T>();
      for (std::int64_t p = 0; p < planes; ++p) {
        double sum = 0.0;
        for (std::int64_t i = 0; i < plane; ++i)
          sum += static_cast<double>(in[p * plane + i]);
        out[p] = store_as<T>(sum / static_cast<double>(plane));
      }
    }
  });
}

} // namespace

void register_global_average_pool(OpRegistry& r) { r.add({"", "GlobalAveragePool", infer, run}); }

} // namespace tilescope::engine::reference
