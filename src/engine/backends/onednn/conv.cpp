// Conv and tilescope.FusedConv as one oneDNN convolution each.
//
//   output = activation(conv(X, W) + B) + Sum
//
// - Layouts: src, weights and dst are `any`, so oneDNN picks (NHWC `acdb` with
//   blocked weights on AVX-512, nChw8c when capped to AVX2: never hard-coded).
//   When the producer stored X in another layout and oneDNN picks the same
//   implementation for that layout, X is read as it is (no reorder).
// - Weights are reordered once, now, into the layout the primitive wants; the
//   graph's plain copy is not kept.
// - The activation is an eltwise post-op (in f32 a fused post-op costs about
//   what a separate pass does, ONEDNN_NOTES.md pitfall 2, and saves a memory
//   pass); hard_sigmoid is linear + clip (oneDNN 2.6 has no hardsigmoid).
// - Sum is the `sum` post-op, never a full-tensor binary_add post-op (pitfall 3:
//   f32 with an NHWC src1 falls to gemm:jit, ~10x slower). `sum` accumulates into
//   dst, so Sum must be in the dst buffer first: dst takes Sum's storage when
//   this is Sum's last read (and its layout is dst's), or takes over a dense
//   copy of Sum made earlier, else Sum is copied (reordered) into dst first.
#include "backends/onednn/kernel_registry.h"
#include "backends/reference/ops/conv_attrs.h"

#include <limits>

namespace tilescope::engine::onednn {
namespace {

using dnnl::algorithm;
using Pd = dnnl::convolution_forward::primitive_desc;

Md any_md(const Dims& dims) { return Md(dims, dnnl::memory::data_type::f32, dnnl::memory::format_tag::any); }

dnnl::post_ops post_ops_for(const FusedConvAttrs& a, bool with_sum) {
  dnnl::post_ops ops;
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
  if (with_sum) ops.append_sum(1.0f);
  return ops;
}

struct ConvShapes {
  Dims src, weights, bias, dst, strides, dilation, pad_l, pad_r;
};

ConvShapes conv_shapes(const ConvAttrs& a, const Shape& x) {
  ConvShapes s;
  s.src = to_dims(x);
  s.dst = to_dims(a.output_shape());
  s.bias = {a.out_channels};
  if (a.group > 1)
    s.weights = {a.group, a.out_channels / a.group, a.in_channels / a.group};
  else
    s.weights = {a.out_channels, a.in_channels};
  for (std::size_t i = 0; i < a.spatial_rank(); ++i) {
    s.weights.push_back(a.kernel_shape[i]);
    s.strides.push_back(a.strides[i]);
    s.dilation.push_back(a.dilations[i] - 1); // oneDNN counts the gaps: ONNX dilation - 1
    s.pad_l.push_back(a.pads_begin[i]);
    s.pad_r.push_back(a.pads_end[i]);
  }
  return s;
}

std::optional<Pd> make_pd(Compiler& c, const ConvShapes& s, bool with_bias, const dnnl::primitive_attr& attr,
                          const Md& src, const Md& dst) {
  const Md weights = any_md(s.weights);
  const auto prop = dnnl::prop_kind::forward_inference;
  const auto alg = algorithm::convolution_direct;
  if (with_bias) {
    return try_primitive_desc<Pd>(dnnl::convolution_forward::desc(prop, alg, src, weights, plain_md(s.bias),
                                                                  dst, s.strides, s.dilation, s.pad_l,
                                                                  s.pad_r),
                                  attr, c.engine());
  }
  return try_primitive_desc<Pd>(
      dnnl::convolution_forward::desc(prop, alg, src, weights, dst, s.strides, s.dilation, s.pad_l, s.pad_r),
      attr, c.engine());
}

// `alt` replaces `chosen` when oneDNN runs the same implementation on it: then
// the fixed layout costs nothing and saves a reorder.
void prefer(std::optional<Pd>& chosen, std::optional<Pd> alt) {
  if (alt && std::string(alt->impl_info_str()) == chosen->impl_info_str()) chosen = std::move(alt);
}

bool build_conv(Compiler& c, const Node& node) {
  const bool fused = node.op_type == "FusedConv";
  if (!all_f32(c, node) || node.inputs.size() < 2) return false;
  const std::string& x = node.inputs[0];
  const std::string& output = node.outputs[0];
  const Tensor* weights = c.constant(node.inputs[1]);
  const bool with_bias = node.has_input(2);
  const bool with_sum = fused && node.has_input(3);
  // Weights and bias computed at run time: the fallback.
  if (weights == nullptr || (with_bias && c.constant(node.inputs[2]) == nullptr)) return false;
  const Shape& x_shape = c.type(x).shape;
  FusedConvAttrs a;
  if (fused) {
    a = parse_fused_conv_attrs(node, x_shape, weights->shape());
  } else {
    static_cast<ConvAttrs&>(a) = parse_conv_attrs(node, x_shape, weights->shape());
  }
  if (a.spatial_rank() < 1 || a.spatial_rank() > 3) return false;
  const ConvShapes s = conv_shapes(a, x_shape);
  if (s.dst != to_dims(c.type(output).shape)) return false;

  dnnl::primitive_attr attr = c.attr();
  attr.set_post_ops(post_ops_for(a, with_sum));
  std::optional<Pd> pd = make_pd(c, s, with_bias, attr, any_md(s.src), any_md(s.dst));
  if (!pd) return false;
  const Md x_layout = c.layout(x);
  if (!same_layout(pd->src_desc(), x_layout))
    prefer(pd, make_pd(c, s, with_bias, attr, x_layout, any_md(s.dst)));
  if (with_sum) {
    const Md sum_layout = c.layout(node.inputs[3]);
    if (!same_layout(pd->dst_desc(), sum_layout)) {
      prefer(pd, make_pd(c, s, with_bias, attr, pd->src_desc(), sum_layout));
    }
  }

  const MemRef src = c.read(x, pd->src_desc());
  std::vector<std::pair<int, MemRef>> args{{DNNL_ARG_SRC, src},
                                           {DNNL_ARG_WEIGHTS, c.read(node.inputs[1], pd->weights_desc())}};
  if (with_bias) args.emplace_back(DNNL_ARG_BIAS, c.read_plain(node.inputs[2]));
  MemRef dst;
  if (with_sum) {
    const std::string& sum = node.inputs[3];
    const MemRef sum_ref = c.read_any(sum);
    // dst may take Sum's storage unless the convolution also reads it as X.
    // Else a dense copy of Sum made for an earlier reader (a C2f Split half,
    // copied for the bottleneck's first conv) can be taken over.
    std::optional<MemRef> copy;
    if (same_layout(sum_ref.md, pd->dst_desc()) && sum_ref.buffer != src.buffer &&
        c.can_overwrite(node, sum)) {
      dst = MemRef{sum_ref.buffer, sum_ref.offset, pd->dst_desc()};
      c.define_alias(output, dst);
    } else if ((copy = c.take_copy(sum, pd->dst_desc(), src))) {
      dst = MemRef{copy->buffer, copy->offset, pd->dst_desc()};
      c.define_alias(output, dst);
    } else {
      dst = c.define(output, pd->dst_desc());
      c.add_reorder(sum_ref, dst, "Reorder(sum)");
    }
  } else {
    dst = c.define(output, pd->dst_desc());
  }
  args.emplace_back(DNNL_ARG_DST, dst);
  c.add_primitive(node.op_type, dnnl::convolution_forward(*pd), std::move(args), pd->scratchpad_desc());
  return true;
}

} // namespace

void register_conv_kernels(KernelRegistry& r) {
  r.add("", "Conv", build_conv);
  r.add("tilescope", "FusedConv", build_conv);
}

} // namespace tilescope::engine::onednn
