// tilescope.QConv (passes/fold_qdq_conv.cpp) as two oneDNN steps:
//
//   x (f32, as stored) ─► reorder: round(x / x_scale) + x_zero_point, saturated
//                         ─► u8 / s8 in the layout the convolution wants
//   convolution u8|s8 · s8 ─► f32: int32 accumulation, output scales
//                         x_scale · w_scales[c] (per output channel), f32 bias
//                         (divided by those scales: oneDNN 2.x adds it first),
//                         activation as eltwise post-ops, Sum as the sum post-op.
//
// - A non-zero x_zero_point (uint8 activations after SiLU) is oneDNN's source
//   zero point, which also pads with it as ONNX's DequantizeLinear(0-padding)
//   means. On AVX-512 VNNI without AMX oneDNN 2.6 runs those on jit_int8
//   (about 2-3x slower than brgconv, which it picks for zero point 0: the
//   image input). Measured with ONEDNN_VERBOSE on the YOLOv8n replica.
// - int8 weights are reordered once, now, into the primitive's layout; the
//   reorder adds the compensation terms oneDNN keeps beside them for s8
//   sources and for source zero points.
// - Sum is copied (reordered) into dst first, then accumulated by the sum
//   post-op (ONEDNN_NOTES pitfall 3: never a full-tensor binary_add).
// Declines (the node then runs on the reference QConv kernel) when oneDNN has no
// implementation for the combination.
#include "backends/onednn/kernel_registry.h"
#include "backends/reference/ops/conv_attrs.h"

namespace tilescope::engine::onednn {
namespace {

using dnnl::algorithm;
using DataType = dnnl::memory::data_type;
using Pd = dnnl::convolution_forward::primitive_desc;

Md any_md(const Dims& dims, DataType type) { return Md(dims, type, dnnl::memory::format_tag::any); }

// The activation as eltwise post-ops (the same mapping as conv.cpp's).
void append_activation(dnnl::post_ops& ops, const FusedConvAttrs& a) {
  switch (a.activation) {
  case Activation::kNone: break;
  case Activation::kRelu: ops.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f); break;
  case Activation::kLeakyRelu: ops.append_eltwise(1.0f, algorithm::eltwise_relu, a.alpha, 0.0f); break;
  case Activation::kSigmoid: ops.append_eltwise(1.0f, algorithm::eltwise_logistic, 0.0f, 0.0f); break;
  case Activation::kHardSigmoid:
    ops.append_eltwise(1.0f, algorithm::eltwise_linear, a.alpha, a.beta);
    ops.append_eltwise(1.0f, algorithm::eltwise_clip_v2, 0.0f, 1.0f);
    break;
  case Activation::kHardSwish: ops.append_eltwise(1.0f, algorithm::eltwise_hardswish, 0.0f, 0.0f); break;
  case Activation::kSilu: ops.append_eltwise(1.0f, algorithm::eltwise_swish, 1.0f, 0.0f); break;
  case Activation::kClip: ops.append_eltwise(1.0f, algorithm::eltwise_clip_v2, a.alpha, a.beta); break;
  case Activation::kTanh: ops.append_eltwise(1.0f, algorithm::eltwise_tanh, 0.0f, 0.0f); break;
  }
}

bool build_qconv(Compiler& c, const Node& node) {
  const std::string& x = node.inputs[0];
  const Tensor* wq = c.constant(node.inputs[1]);
  const bool with_bias = node.has_input(2);
  const bool with_sum = node.has_input(3);
  if (!f32_nonempty(c, x) || wq == nullptr || wq->dtype() != DType::kInt8 || wq->rank() != 4) return false;
  if (with_bias && (c.constant(node.inputs[2]) == nullptr || !c.is_f32(node.inputs[2]))) return false;
  if (with_sum && !f32_nonempty(c, node.inputs[3])) return false;
  const FusedConvAttrs a = parse_fused_conv_attrs(node, c.type(x).shape, wq->shape());
  if (a.group != 1 || a.spatial_rank() != 2) return false;
  const float x_scale = node.attrs.get_float("x_scale", 1.0f);
  const auto zero_point = static_cast<std::int32_t>(node.attrs.get_int("x_zero_point", 0));
  const DataType src_type = node.attrs.get_string("x_type", "uint8") == "int8" ? DataType::s8 : DataType::u8;
  const std::vector<float> w_scales = node.attrs.get_floats("w_scales");
  if (static_cast<std::int64_t>(w_scales.size()) != a.out_channels) return false;

  Dims weights{a.out_channels, a.in_channels}, strides, dilation, pad_l, pad_r;
  for (std::size_t i = 0; i < a.spatial_rank(); ++i) {
    weights.push_back(a.kernel_shape[i]);
    strides.push_back(a.strides[i]);
    dilation.push_back(a.dilations[i] - 1); // oneDNN counts the gaps: ONNX dilation - 1
    pad_l.push_back(a.pads_begin[i]);
    pad_r.push_back(a.pads_end[i]);
  }
  const Dims src_dims = to_dims(c.type(x).shape), dst_dims = to_dims(a.output_shape());

  dnnl::primitive_attr attr = c.attr();
  std::vector<float> out_scales(w_scales.size());
  for (std::size_t i = 0; i < w_scales.size(); ++i)
    out_scales[i] = x_scale * w_scales[i];
  attr.set_output_scales(1 << 1, out_scales);
  if (zero_point != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {zero_point});
  dnnl::post_ops ops;
  append_activation(ops, a);
  if (with_sum) ops.append_sum(1.0f);
  attr.set_post_ops(ops);
  const auto prop = dnnl::prop_kind::forward_inference;
  const Md src_any = any_md(src_dims, src_type), w_any = any_md(weights, DataType::s8),
           dst_any = any_md(dst_dims, DataType::f32);
  std::optional<Pd> pd =
      with_bias
          ? try_primitive_desc<Pd>(dnnl::convolution_forward::desc(prop, algorithm::convolution_direct,
                                                                   src_any, w_any, plain_md({a.out_channels}),
                                                                   dst_any, strides, dilation, pad_l, pad_r),
                                   attr, c.engine())
          : try_primitive_desc<Pd>(dnnl::convolution_forward::desc(prop, algorithm::convolution_direct,
                                                                   src_any, w_any, dst_any, strides, dilation,
                                                                   pad_l, pad_r),
                                   attr, c.engine());
  if (!pd) return false;

  // Quantize x into the layout the convolution reads.
  const MemRef x_ref = c.read_as_is(x);
  dnnl::primitive_attr q_attr = c.attr();
  q_attr.set_output_scales(0, {1.0f / x_scale});
  if (zero_point != 0) q_attr.set_zero_points(DNNL_ARG_DST, 0, {zero_point});
  auto q_pd = try_primitive_desc<dnnl::reorder::primitive_desc>(c.engine(), x_ref.md, c.engine(),
                                                                pd->src_desc(), q_attr);
  if (!q_pd) return false;

  // Weights: int8 plain -> the primitive's layout (with its compensation), once.
  auto [w_storage, w_ref] =
      c.owned_tensor(DType::kUInt8, Shape{static_cast<std::int64_t>(pd->weights_desc().get_size())});
  w_ref.md = pd->weights_desc();
  {
    dnnl::memory w_src(plain_md(weights, DataType::s8), c.engine(), const_cast<void*>(wq->raw()));
    dnnl::memory w_dst(pd->weights_desc(), c.engine(), w_storage->raw());
    c.run_now(dnnl::reorder(w_src, w_dst), {{DNNL_ARG_FROM, w_src}, {DNNL_ARG_TO, w_dst}});
  }

  const MemRef q_ref = c.new_arena_ref(pd->src_desc());
  c.add_primitive("QuantizeLinear", dnnl::reorder(*q_pd), {{DNNL_ARG_FROM, x_ref}, {DNNL_ARG_TO, q_ref}},
                  q_pd->scratchpad_desc());
  const MemRef dst = c.define(node.outputs[0], pd->dst_desc());
  if (with_sum) c.add_reorder(c.read_any(node.inputs[3]), dst, "Reorder(sum)");
  std::vector<std::pair<int, MemRef>> args{
      {DNNL_ARG_SRC, q_ref}, {DNNL_ARG_WEIGHTS, w_ref}, {DNNL_ARG_DST, dst}};
  if (with_bias) {
    // oneDNN 2.x adds the bias before the output scales (dst = scale * (acc +
    // bias)), so it takes B / (x_scale * w_scales[c]).
    const Tensor& bias = *c.constant(node.inputs[2]);
    auto [b_storage, b_ref] = c.owned_tensor(DType::kFloat32, bias.shape());
    for (std::int64_t i = 0; i < bias.size(); ++i)
      b_storage->data<float>()[i] = bias.data<float>()[i] / out_scales[static_cast<std::size_t>(i)];
    args.emplace_back(DNNL_ARG_BIAS, b_ref);
  }
  c.add_primitive("QConv", dnnl::convolution_forward(*pd), std::move(args), pd->scratchpad_desc());
  return true;
}

} // namespace

void register_qconv_kernels(KernelRegistry& r) { r.add("tilescope", "QConv", build_qconv); }

} // namespace tilescope::engine::onednn
