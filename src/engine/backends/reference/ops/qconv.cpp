// tilescope.QConv: the integer convolution passes::fold_qdq_conv makes of
// QuantizeLinear -> DequantizeLinear -> (Fused)Conv with int8 weights. Inputs
// [X (float), W_q (int8), B (float, optional), Sum (optional)]; FusedConv's
// attributes plus x_scale, x_zero_point, x_type ("uint8" | "int8") and
// w_scales (one per output channel):
//
//   output = activation(conv(DQ(Q(X)), W_q * w_scales[c]) + B) + Sum
//
// The reference is exactly that, through the QuantizeLinear rule
// (quantize_linear.cpp: float32 quotient, half to even, saturation) and the
// FusedConv reference kernel, so it is the oracle for the oneDNN int8 kernel.
#include "backends/reference/numeric.h"
#include "backends/reference/ops/conv_attrs.h"

#include <cmath>

namespace tilescope::engine::reference {
namespace {

struct QConvQuant {
  float x_scale = 1;
  float q_lo = 0, q_hi = 255;
  float x_zero_point = 0;
  std::vector<float> w_scales;
};

QConvQuant parse_quant(const Node& node) {
  QConvQuant q;
  q.x_scale = node.attrs.get_float("x_scale", 1.0f);
  q.x_zero_point = static_cast<float>(node.attrs.get_int("x_zero_point", 0));
  const std::string type = node.attrs.get_string("x_type", "uint8");
  if (type == "int8") {
    q.q_lo = -128, q.q_hi = 127;
  } else if (type != "uint8") {
    throw Error(node.describe() + ": x_type '" + type + "' is not uint8 or int8");
  }
  q.w_scales = node.attrs.get_floats("w_scales");
  return q;
}

void infer(InferContext& ctx) {
  require_dtype(ctx, 0, {DType::kFloat32});
  require_dtype(ctx, 1, {DType::kInt8});
  FusedConvAttrs a;
  try {
    a = parse_fused_conv_attrs(ctx.node(), ctx.shape(0), ctx.shape(1));
    const QConvQuant q = parse_quant(ctx.node());
    if (static_cast<std::int64_t>(q.w_scales.size()) != a.out_channels) {
      ctx.fail("w_scales has " + std::to_string(q.w_scales.size()) + " values for " +
               std::to_string(a.out_channels) + " output channels");
    }
  } catch (const Error& e) {
    ctx.fail(e.what());
  }
  ctx.set_output(0, DType::kFloat32, a.output_shape());
}

void run(const KernelContext& ctx) {
  const QConvQuant q = parse_quant(ctx.node);
  const Tensor& x = ctx.in(0);
  Tensor xdq(DType::kFloat32, x.shape());
  const float* xv = x.data<float>();
  float* xd = xdq.data<float>();
  for (std::int64_t i = 0; i < x.size(); ++i) {
    const float r = std::nearbyint(xv[i] / q.x_scale) + q.x_zero_point;
    const float v = std::isnan(r) ? 0.0f : std::clamp(r, q.q_lo, q.q_hi);
    xd[i] = (v - q.x_zero_point) * q.x_scale;
  }
  const Tensor& wq = ctx.in(1);
  Tensor wdq(DType::kFloat32, wq.shape());
  const std::int64_t per = wq.size() / wq.shape()[0];
  for (std::int64_t i = 0; i < wq.size(); ++i)
    wdq.data<float>()[i] =
        static_cast<float>(wq.data<std::int8_t>()[i]) * q.w_scales[static_cast<std::size_t>(i / per)];

  const OpDef* fused = OpRegistry::instance().find("tilescope", "FusedConv");
  std::vector<const Tensor*> inputs(ctx.inputs.begin(), ctx.inputs.end());
  inputs[0] = &xdq;
  inputs[1] = &wdq;
  fused->run(KernelContext{ctx.node, ctx.opset, inputs, ctx.outputs});
}

} // namespace

void register_qconv(OpRegistry& r) { r.add({"tilescope", "QConv", infer, run}); }

} // namespace tilescope::engine::reference
