// QuantizeLinear: y = saturate(round(x / y_scale) + y_zero_point), rounding
// half to even, saturating to the zero point's type (uint8 when absent).
// Per-tensor or per-axis (quant_linear.h). x is float32 or int32.
//
// Unlike the other reference kernels this one computes in float32, not
// double: the ONNX reference implementation and ONNX Runtime divide in float32,
// and the quotient's rounding decides ties (x / scale landing on k + 0.5), so
// computing in double would disagree with every other runtime on those.
#include "backends/reference/ops/quant_linear.h"

#include <cmath>

namespace tilescope::engine::reference {
namespace {

void infer(InferContext& ctx) {
  require_dtype(ctx, 0, {DType::kFloat32, DType::kInt32});
  check_quant_params(ctx, {DType::kUInt8, DType::kInt8});
  ctx.set_output(0, ctx.has_input(2) ? ctx.dtype(2) : DType::kUInt8, ctx.shape(0));
}

template <class Q, class X> void quantize(const KernelContext& ctx, const QuantLayout& layout) {
  const X* x = ctx.in(0).data<X>();
  const float* scale = ctx.in(1).data<float>();
  const Q* zero_point = ctx.has_input(2) ? ctx.in(2).data<Q>() : nullptr;
  Q* y = ctx.out(0).data<Q>();
  constexpr float kLo = std::numeric_limits<Q>::lowest();
  constexpr float kHi = std::numeric_limits<Q>::max();
  for (std::int64_t i = 0; i < ctx.in(0).size(); ++i) {
    const std::int64_t p = layout.param_index(i);
    // std::nearbyint rounds half to even in the default rounding mode.
    float q = std::nearbyint(static_cast<float>(x[i]) / scale[p]);
    if (zero_point != nullptr) q += static_cast<float>(zero_point[p]);
    y[i] = std::isnan(q) ? Q{0} : static_cast<Q>(std::clamp(q, kLo, kHi));
  }
}

void run(const KernelContext& ctx) {
  const QuantLayout layout = quant_layout(ctx);
  const bool int32_in = ctx.in(0).dtype() == DType::kInt32;
  if (ctx.out(0).dtype() == DType::kInt8) {
    int32_in ? quantize<std::int8_t, std::int32_t>(ctx, layout) : quantize<std::int8_t, float>(ctx, layout);
  } else {
    int32_in ? quantize<std::uint8_t, std::int32_t>(ctx, layout) : quantize<std::uint8_t, float>(ctx, layout);
  }
}

} // namespace

void register_quantize_linear(OpRegistry& r) { r.add({"", "QuantizeLinear", infer, run}); }

} // namespace tilescope::engine::reference
