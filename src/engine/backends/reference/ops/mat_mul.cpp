// MatMul with numpy.matmul semantics:
//   A [..., M, K] x B [..., K, N] -> [broadcast(...), M, N]
//   1-D A [K] acts as [1, K] and 1-D B [K] as [K, 1]; the added dim is then
//   dropped from the output (so [K] x [K] gives a scalar).
// Batch dims broadcast multidirectionally. Floats accumulate in double over k in
// ascending order; integers accumulate in int64 with wrap-around.
#include "backends/reference/broadcast.h"
#include "backends/reference/numeric.h"

namespace tilescope::engine::reference {
namespace {

constexpr DTypeSet kTypes{DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32};

struct MatMulPlan {
  Shape a_batch, b_batch, batch; // leading dims of A, B and their broadcast
  std::int64_t m = 1, k = 1, n = 1;
  Shape out;
};

// Throws Error describing the mismatch.
MatMulPlan plan_of(const Shape& a, const Shape& b) {
  if (a.empty() || b.empty())
    throw Error("MatMul inputs must have rank >= 1, got " + shape_str(a) + " and " + shape_str(b));
  MatMulPlan p;
  const std::int64_t ka = a.back();
  const std::int64_t kb = b.size() == 1 ? b[0] : b[b.size() - 2];
  if (ka != kb) throw Error("inner dimensions differ: " + shape_str(a) + " x " + shape_str(b));
  p.k = ka;
  if (a.size() >= 2) {
    p.m = a[a.size() - 2];
    p.a_batch.assign(a.begin(), a.end() - 2);
  }
  if (b.size() >= 2) {
    p.n = b.back();
    p.b_batch.assign(b.begin(), b.end() - 2);
  }
  auto batch = broadcast_shapes(p.a_batch, p.b_batch);
  if (!batch) throw Error("batch dimensions do not broadcast: " + shape_str(a) + " x " + shape_str(b));
  p.batch = *batch;
  p.out = p.batch;
  if (a.size() >= 2) p.out.push_back(p.m);
  if (b.size() >= 2) p.out.push_back(p.n);
  return p;
}

void infer(InferContext& ctx) {
  require_dtype(ctx, 0, kTypes);
  if (ctx.dtype(1) != ctx.dtype(0)) {
    ctx.fail("inputs have different element types " + std::string(dtype_name(ctx.dtype(0))) + " and " +
             std::string(dtype_name(ctx.dtype(1))));
  }
  try {
    ctx.set_output(0, ctx.dtype(0), plan_of(ctx.shape(0), ctx.shape(1)).out);
  } catch (const Error& e) {
    ctx.fail(e.what());
  }
}

void run(const KernelContext& ctx) {
  const MatMulPlan p = plan_of(ctx.in(0).shape(), ctx.in(1).shape());
  // Batch strides in units of whole matrices: element offset = matrix index * m*k (or k*n).
  const std::array<std::vector<std::int64_t>, 2> strides{broadcast_strides(p.a_batch, p.batch),
                                                         broadcast_strides(p.b_batch, p.batch)};
  visit_dtype(ctx.in(0).dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = ComputeType<T>;
    const T* a = ctx.in(0).data<T>();
    const T* b = ctx.in(1).data<T>();
    T* y = ctx.out(0).data<T>();
    std::vector<C> acc(static_cast<std::size_t>(p.n));
    for_each_broadcast(p.batch, strides, [&](std::int64_t batch, const std::array<std::int64_t, 2>& off) {
      const T* am = a + off[0] * p.m * p.k;
      const T* bm = b + off[1] * p.k * p.n;
      T* ym = y + batch * p.m * p.n;
      for (std::int64_t i = 0; i < p.m; ++i) {
        std::fill(acc.begin(), acc.end(), C{0});
        // i-k-j order: rows of B are read contiguously; each acc[j] still sums over k in order.
        for (std::int64_t kk = 0; kk < p.k; ++kk) {
          const C aik = static_cast<C>(am[i * p.k + kk]);
          const T* brow = bm + kk * p.n;
          for (std::int64_t j = 0; j < p.n; ++j) {
            if constexpr (std::is_floating_point_v<C>)
              acc[j] += aik * static_cast<C>(brow[j]);
            else
              acc[j] = wrapping_add(acc[j], wrapping_mul(aik, static_cast<C>(brow[j])));
          }
        }
        for (std::int64_t j = 0; j < p.n; ++j)
          ym[i * p.n + j] = store_as<T>(acc[j]);
      }
    });
  });
}

} // namespace

void register_mat_mul(OpRegistry& r) { r.add({"", "MatMul", infer, run}); }

} // namespace tilescope::engine::reference
