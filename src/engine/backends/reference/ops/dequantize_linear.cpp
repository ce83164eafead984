// DequantizeLinear: y = (x - x_zero_point) * x_scale in float32, for uint8,
// int8 and int32 x (int32 only with a zero point of 0, as for quantized
// biases). Per-tensor or per-axis (quant_linear.h). Computed in float32 like
// the ONNX reference and ONNX Runtime: (x - zp) is exact there, so the one
// rounding is the product's, and the result is bit-identical to theirs.
#include "backends/reference/ops/quant_linear.h"

namespace tilescope::engine::reference {
namespace {

void infer(InferContext& ctx) {
  require_dtype(ctx, 0, {DType::kUInt8, DType::kInt8, DType::kInt32});
  check_quant_params(ctx, {ctx.dtype(0)});
  ctx.set_output(0, DType::kFloat32, ctx.shape(0));
}

template <class X> void dequantize(const KernelContext& ctx, const QuantLayout& layout) {
  const X* x = ctx.in(0).data<X>();
  const float* scale = ctx.in(1).data<float>();
  const X* zero_point = ctx.has_input(2) ? ctx.in(2).data<X>() : nullptr;
  float* y = ctx.out(0).data<float>();
  for (std::int64_t i = 0; i < ctx.in(0).size(); ++i) {
    const std::int64_t p = layout.param_index(i);
    const float zp = zero_point != nullptr ? static_cast<float>(zero_point[p]) : 0.0f;
    y[i] = (static_cast<float>(x[i]) - zp) * scale[p];
  }
}

void run(const KernelContext& ctx) {
  const QuantLayout layout = quant_layout(ctx);
  switch (ctx.in(0).dtype()) {
  case DType::kUInt8: dequantize<std::uint8_t>(ctx, layout); break;
  case DType::kInt8: dequantize<std::int8_t>(ctx, layout); break;
  default: dequantize<std::int32_t>(ctx, layout); break;
  }
}

} // namespace

void register_dequantize_linear(OpRegistry& r) { r.add({"", "DequantizeLinear", infer, run}); }

} // namespace tilescope::engine::reference
