// Gemm: Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A (A' is [M, K]),
// B' = transB ? B^T : B (B' is [K, N]). C is optional since opset 11 and must
// broadcast unidirectionally to [M, N] (a scalar, [N], [M, 1], [1, N] or [M, N]).
// The opset < 7 "broadcast" attribute is ignored: broadcasting is a superset.
// Accumulates in double. Only float types: ONNX allows integer Gemm with float
// alpha/beta, whose rounding it leaves open, and no supported model uses it.
#include "backends/reference/broadcast.h"
#include "backends/reference/numeric.h"

namespace tilescope::engine::reference {
namespace {

struct GemmAttrs {
  double alpha = 1.0;
  double beta = 1.0;
  bool trans_a = false;
  bool trans_b = false;
};

GemmAttrs attrs_of(const Attributes& attrs) {
  GemmAttrs g;
  g.alpha = attrs.get_float("alpha", 1.0f);
  g.beta = attrs.get_float("beta", 1.0f);
  const std::int64_t ta = attrs.get_int("transA", 0);
  const std::int64_t tb = attrs.get_int("transB", 0);
  if (ta != 0 && ta != 1) throw Error("attribute transA must be 0 or 1, got " + std::to_string(ta));
  if (tb != 0 && tb != 1) throw Error("attribute transB must be 0 or 1, got " + std::to_string(tb));
  g.trans_a = ta == 1;
  g.trans_b = tb == 1;
  return g;
}

void infer(InferContext& ctx) {
  GemmAttrs g;
  try {
    g = attrs_of(ctx.node().attrs);
  } catch (const Error& e) {
    ctx.fail(e.what());
  }
  require_dtype(ctx, 0, kFloatTypes);
  for (std::size_t i : {std::size_t{1}, std::size_t{2}}) {
    if (ctx.has_input(i) && ctx.dtype(i) != ctx.dtype(0)) {
      ctx.fail("input " + std::to_string(i) + " has element type " + std::string(dtype_name(ctx.dtype(i))) +
               ", input 0 has " + std::string(dtype_name(ctx.dtype(0))));
    }
  }
  const Shape& a = ctx.shape(0);
  const Shape& b = ctx.shape(1);
  if (a.size() != 2 || b.size() != 2) {
    ctx.fail("A and B must be 2-D, got " + shape_str(a) + " and " + shape_str(b));
  }
  const std::int64_t m = g.trans_a ? a[1] : a[0];
  const std::int64_t ka = g.trans_a ? a[0] : a[1];
  const std::int64_t kb = g.trans_b ? b[1] : b[0];
  const std::int64_t n = g.trans_b ? b[0] : b[1];
  if (ka != kb) {
    ctx.fail("inner dimensions differ: A " + shape_str(a) + (g.trans_a ? " (transposed)" : "") + ", B " +
             shape_str(b) + (g.trans_b ? " (transposed)" : ""));
  }
  const Shape out{m, n};
  if (ctx.has_input(2)) {
    if (!broadcasts_to(ctx.shape(2), out)) {
      ctx.fail("C of shape " + shape_str(ctx.shape(2)) + " does not broadcast to " + shape_str(out));
    }
  } else if (ctx.opset() < 11) {
    ctx.fail("input C is required before opset 11");
  }
  ctx.set_output(0, ctx.dtype(0), out);
}

void run(const KernelContext& ctx) {
  const GemmAttrs g = attrs_of(ctx.node.attrs);
  const Tensor& ta = ctx.in(0);
  const Tensor& tb = ctx.in(1);
  Tensor& ty = ctx.out(0);
  const std::int64_t m = ty.shape()[0];
  const std::int64_t n = ty.shape()[1];
  const std::int64_t k = g.trans_a ? ta.shape()[0] : ta.shape()[1];
  // Element strides of A' and B' in the stored matrices.
  const std::int64_t a_row = g.trans_a ? 1 : k, a_col = g.trans_a ? m : 1;
  const std::int64_t b_row = g.trans_b ? 1 : n, b_col = g.trans_b ? k : 1;
  const bool has_c = ctx.has_input(2);
  const std::vector<std::int64_t> c_strides =
      has_c ? broadcast_strides(ctx.in(2).shape(), ty.shape()) : std::vector<std::int64_t>{0, 0};
  visit_dtype(ta.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* a = ta.data<T>();
      const T* b = tb.data<T>();
      const T* c = has_c ? ctx.in(2).data<T>() : nullptr;
      T* y = ty.data<T>();
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
          double acc = 0;
          for (std::int64_t kk = 0; kk < k; ++kk) {
            acc += static_cast<double>(a[i * a_row + kk * a_col]) *
                   static_cast<double>(b[kk * b_row + j * b_col]);
          }
          double v = g.alpha * acc;
          if (c != nullptr) v += g.beta * static_cast<double>(c[i * c_strides[0] + j * c_strides[1]]);
          y[i * n + j] = store_as<T>(v);
        }
      }
    }
  });
}

} // namespace

void register_gemm(OpRegistry& r) { r.add({"", "Gemm", infer, run}); }

} // namespace tilescope::engine::reference
