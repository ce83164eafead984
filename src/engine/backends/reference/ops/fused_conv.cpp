// tilescope.FusedConv: y = activation(conv(X, W) + B) + Sum, the node the
// fusion passes make of Conv [+ activation] [+ Add] (contract in conv_attrs.h).
// Computed in double end to end, so it is also the oracle for the oneDNN
// post-op chain.
#include "backends/reference/numeric.h"
#include "backends/reference/ops/conv_reference.h"

#include <algorithm>
#include <cmath>

namespace tilescope::engine::reference {
namespace {

constexpr std::size_t kSumInput = 3;

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

double activate(const FusedConvAttrs& a, double v) {
  const double alpha = a.alpha;
  const double beta = a.beta;
  switch (a.activation) {
  case Activation::kNone: return v;
  case Activation::kRelu: return v < 0 ? 0.0 : v;
  case Activation::kLeakyRelu: return v < 0 ? alpha * v : v;
  case Activation::kSigmoid: return sigmoid(v);
  case Activation::kHardSigmoid: return clamp_keep_nan(alpha * v + beta, 0.0, 1.0);
  case Activation::kHardSwish: return v * clamp_keep_nan(v / 6.0 + 0.5, 0.0, 1.0); // ONNX HardSwish
  case Activation::kSilu: return v * sigmoid(v);
  case Activation::kClip: return clamp_keep_nan(v, alpha, beta);
  case Activation::kTanh: return std::tanh(v);
  }
  return v;
}

void infer(InferContext& ctx) {
  require_dtype(ctx, 0, kFloatTypes);
  const FusedConvAttrs a = parse_fused_conv_attrs(ctx.node(), ctx.shape(0), ctx.shape(1));
  infer_conv_common(ctx, a);
  if (ctx.has_input(kSumInput)) {
    if (ctx.dtype(kSumInput) != ctx.dtype(0) || ctx.shape(kSumInput) != a.output_shape()) {
      ctx.fail("input Sum is " + std::string(dtype_name(ctx.dtype(kSumInput))) + " " +
               shape_str(ctx.shape(kSumInput)) + ", expected the output's " +
               std::string(dtype_name(ctx.dtype(0))) + " " + shape_str(a.output_shape()));
    }
  }
}

void run(const KernelContext& ctx) {
  const FusedConvAttrs a = parse_fused_conv_attrs(ctx.node, ctx.in(0).shape(), ctx.in(1).shape());
  std::vector<double> y = conv_reference(a, ctx.in(0), ctx.in(1), ctx.has_input(2) ? &ctx.in(2) : nullptr);
  for (double& v : y)
    v = activate(a, v);
  if (ctx.has_input(kSumInput)) {
    const Tensor& sum = ctx.in(kSumInput);
    visit_dtype(sum.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* s = sum.data<T>();
      for (std::size_t i = 0; i < y.size(); ++i)
        y[i] += static_cast<double>(s[i]);
    });
  }
  store_doubles(y, ctx.out(0));
}

} // namespace

void register_fused_conv(OpRegistry& r) { r.add({"tilescope", "FusedConv", infer, run}); }

} // namespace tilescope::engine::reference
