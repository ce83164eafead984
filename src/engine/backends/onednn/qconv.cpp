// tilescope.QConv (passes/fold_qdq_conv.cpp) as oneDNN steps:
//
//   x (f32, as stored) ─► reorder: round(x / x_scale) + x_zero_point, saturated
//                         ─► u8 in the layout the convolution wants (an f32
//                         image: our own loop, native_convert.h)
//   convolution u8 · s8 ─► f32: int32 accumulation, output scales
//                         x_scale · w_scales[c] (per output channel), f32 bias
//                         (divided by those scales: oneDNN 2.x adds it first),
//                         activation as eltwise post-ops, Sum as the sum post-op.
//
// - Values between quantized layers are u8 (quant_plan.h): when the output's
//   readers all quantize it alike, the convolution writes those u8 values (one
//   more eltwise post-op, y / s + zp; the u8 destination rounds and
//   saturates), and a QConv whose x is already stored so reads it as it is: no
//   quantizing reorder (with a zero point and padding, a byte copy into the
//   padded buffer below instead).
// - No source zero point reaches oneDNN: with one (uint8 activations after
//   SiLU) oneDNN 2.6 on AVX-512 VNNI without AMX runs jit_int8 instead of
//   brgconv (ONEDNN_VERBOSE on the YOLOv8n replica: 120 of 384 convolution
//   runs). It goes into the bias instead (SourcePlan below); int8 sources are
//   read as uint8 with the zero point moved by 128.
// - QConvs that read the same x with the same quantization and padding share
//   one quantized copy (a C2f's halves, the detect head's branches).
// - int8 weights are reordered once, now, into the primitive's layout.
// - Sum is copied (reordered) into dst first, then accumulated by the sum
//   post-op (ONEDNN_NOTES pitfall 3: never a full-tensor binary_add).
// Declines (the node then runs on the reference QConv kernel) when oneDNN has no
// implementation for the combination.
#include "backends/onednn/kernel_registry.h"
#include "backends/onednn/native_convert.h"
#include "backends/reference/ops/conv_attrs.h"

#include <cstring>

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

// The u8 source with a zero point taken out of the convolution, so that oneDNN
// runs brgconv instead of jit_int8 (see the header):
//   Σ w·(q - zp) = Σ w·q - zp·Σw        (zp·Σw per output channel: into the bias)
// which holds at the borders only if padding reads zp too: the quantizing
// reorder writes into the interior of a buffer padded explicitly, whose border
// is filled with zp once (the buffer is owned, not arena), and the convolution
// itself pads nothing.
struct SourcePlan {
  Dims dims; // the convolution's source dims (padded by hand when zp != 0)
  Dims pad_l, pad_r;
  std::int32_t zp; // the u8 zero point the reorder writes
};

bool build_qconv(Compiler& c, const Node& node) {
  const std::string& x = node.inputs[0];
  const Tensor* wq = c.constant(node.inputs[1]);
  const bool with_bias = node.has_input(2);
  const bool with_sum = node.has_input(3);
  const std::string& output = node.outputs[0];
  if (!f32_nonempty(c, x) || wq == nullptr || wq->dtype() != DType::kInt8 || wq->rank() != 4) return false;
  if (with_bias && (c.constant(node.inputs[2]) == nullptr || !c.is_f32(node.inputs[2]))) return false;
  if (with_sum && !f32_nonempty(c, node.inputs[3])) return false;
  const FusedConvAttrs a = parse_fused_conv_attrs(node, c.type(x).shape, wq->shape());
  if (a.group != 1 || a.spatial_rank() != 2) return false;
  const float x_scale = node.attrs.get_float("x_scale", 1.0f);
  // An int8 source is the same values as uint8 with the zero point moved by
  // 128 (and the same saturation range), so every source is u8 here.
  const bool s8_source = node.attrs.get_string("x_type", "uint8") == "int8";
  const auto zero_point =
      static_cast<std::int32_t>(node.attrs.get_int("x_zero_point", 0)) + (s8_source ? 128 : 0);
  const std::vector<float> w_scales = node.attrs.get_floats("w_scales");
  if (static_cast<std::int64_t>(w_scales.size()) != a.out_channels) return false;

  Dims weights{a.out_channels, a.in_channels}, strides, dilation;
  SourcePlan sp{to_dims(c.type(x).shape), {}, {}, zero_point};
  bool padded = false;
  for (std::size_t i = 0; i < a.spatial_rank(); ++i) {
    weights.push_back(a.kernel_shape[i]);
    strides.push_back(a.strides[i]);
    dilation.push_back(a.dilations[i] - 1); // oneDNN counts the gaps: ONNX dilation - 1
    if (a.pads_begin[i] < 0 || a.pads_end[i] < 0) return false;
    padded = padded || a.pads_begin[i] != 0 || a.pads_end[i] != 0;
    if (zero_point != 0) {
      sp.dims[2 + i] += a.pads_begin[i] + a.pads_end[i];
      sp.pad_l.push_back(0);
      sp.pad_r.push_back(0);
    } else {
      sp.pad_l.push_back(a.pads_begin[i]);
      sp.pad_r.push_back(a.pads_end[i]);
    }
  }
  const Dims src_dims = to_dims(c.type(x).shape), dst_dims = to_dims(a.output_shape());
  const bool pad_by_hand = zero_point != 0 && padded;

  dnnl::primitive_attr attr = c.attr();
  std::vector<float> out_scales(w_scales.size());
  for (std::size_t i = 0; i < w_scales.size(); ++i)
    out_scales[i] = x_scale * w_scales[i];
  attr.set_output_scales(1 << 1, out_scales);
  dnnl::post_ops ops;
  append_activation(ops, a);
  if (with_sum) ops.append_sum(1.0f);
  // u8 output for readers that quantize it (quant_plan.h; never with a Sum).
  const Quant* out_q = with_sum ? nullptr : c.quant(output);
  if (out_q != nullptr) {
    ops.append_eltwise(1.0f, algorithm::eltwise_linear, 1.0f / out_q->scale,
                       static_cast<float>(out_q->zero_point));
  }
  attr.set_post_ops(ops);
  const bool bias_arg = with_bias || zero_point != 0;
  const auto prop = dnnl::prop_kind::forward_inference;
  const Md src_any = any_md(sp.dims, DataType::u8), w_any = any_md(weights, DataType::s8),
           dst_any = any_md(dst_dims, out_q != nullptr ? DataType::u8 : DataType::f32);
  std::optional<Pd> pd =
      bias_arg ? try_primitive_desc<Pd>(
                     dnnl::convolution_forward::desc(prop, algorithm::convolution_direct, src_any, w_any,
                                                     plain_md({a.out_channels}), dst_any, strides, dilation,
                                                     sp.pad_l, sp.pad_r),
                     attr, c.engine())
               : try_primitive_desc<Pd>(dnnl::convolution_forward::desc(prop, algorithm::convolution_direct,
                                                                        src_any, w_any, dst_any, strides,
                                                                        dilation, sp.pad_l, sp.pad_r),
                                        attr, c.engine());
  if (!pd) return false;

  // Quantize x into the layout the convolution reads (the interior of the
  // padded buffer when padding by hand). Readers of the same x with the same
  // quantization and layout share one copy (C2f splits, the detect head).
  const Md q_md = pad_by_hand
                      ? pd->src_desc().submemory_desc(src_dims, Dims{0, 0, a.pads_begin[0], a.pads_begin[1]})
                      : pd->src_desc();
  std::string share_key;
  {
    std::uint32_t scale_bits = 0;
    std::memcpy(&scale_bits, &x_scale, sizeof scale_bits);
    share_key = "qconv-src|" + x + "|" + std::to_string(scale_bits) + "|" + std::to_string(zero_point);
    for (std::size_t i = 0; i < a.spatial_rank(); ++i)
      share_key += "|" + std::to_string(a.pads_begin[i]) + "," + std::to_string(a.pads_end[i]);
  }
  // x already stored in u8 with this quantization (quant_plan.h): read as it
  // is, or copied as bytes into the padded buffer; else quantized here.
  const std::optional<Quant> x_q = c.stored_quant(x);
  const Quant want{x_scale, zero_point};
  MemRef src_ref;
  if (x_q && *x_q == want && !pad_by_hand) {
    src_ref = c.read(x, pd->src_desc());
  } else if (const MemRef* shared = c.shared(share_key); shared != nullptr && shared->md == pd->src_desc()) {
    src_ref = *shared;
  } else {
    // As stored: a Split/Slice view (a C2f half) is quantized straight from
    // its strides, with no float copy first.
    const MemRef x_ref = c.read_any(x);
    if (pad_by_hand) {
      // Owned: the border, written once here, must outlive every run.
      auto [p_storage, p_ref] =
          c.owned_tensor(DType::kUInt8, Shape{static_cast<std::int64_t>(pd->src_desc().get_size())});
      std::memset(p_storage->raw(), zero_point, pd->src_desc().get_size());
      src_ref = p_ref;
      src_ref.md = pd->src_desc();
    } else {
      src_ref = c.new_arena_ref(pd->src_desc());
    }
    const MemRef q_dst{src_ref.buffer, src_ref.offset, q_md};
    const char* label = x_q && *x_q == want ? "Reorder(pad)" : "QuantizeLinear";
    std::unique_ptr<NativeKernel> image_kernel =
        x_q ? nullptr : make_image_to_u8_kernel(x_ref.md, q_md, x_scale, zero_point);
    if (image_kernel) {
      // A plain f32 image (1-4 channels) to NHWC: our own one pass on every
      // thread (native_convert.h).
      c.add_native(label, std::move(image_kernel), {{DNNL_ARG_SRC, x_ref}, {DNNL_ARG_DST, q_dst}});
    } else if (!x_q && is_plain(x_ref.md) && !is_plain(q_md) && src_dims.size() == 4 && src_dims[1] <= 4) {
      // A plain image to NHWC without AVX-512 VBMI: quantizing in place
      // order, then moving bytes, beats one f32 reorder that transposes 3
      // channels (0.9 ms at 640x640).
      const Md plain_u8 = plain_md(src_dims, DataType::u8);
      const MemRef flat = c.new_arena_ref(plain_u8);
      c.add_quant_reorder(x_ref, std::nullopt, flat, want, label);
      c.add_quant_reorder(flat, want, q_dst, want, label);
    } else {
      c.add_quant_reorder(x_ref, x_q, q_dst, want, label);
    }
    c.share(share_key, src_ref);
  }

  // Weights: int8 plain -> the primitive's layout, once.
  auto [w_storage, w_ref] =
      c.owned_tensor(DType::kUInt8, Shape{static_cast<std::int64_t>(pd->weights_desc().get_size())});
  w_ref.md = pd->weights_desc();
  {
    dnnl::memory w_src(plain_md(weights, DataType::s8), c.engine(), const_cast<void*>(wq->raw()));
    dnnl::memory w_dst(pd->weights_desc(), c.engine(), w_storage->raw());
    c.run_now(dnnl::reorder(w_src, w_dst), {{DNNL_ARG_FROM, w_src}, {DNNL_ARG_TO, w_dst}});
  }

  const MemRef dst = c.define(output, pd->dst_desc());
  if (with_sum) {
    c.add_quant_reorder(c.read_any(node.inputs[3]), c.stored_quant(node.inputs[3]), dst, std::nullopt,
                        "Reorder(sum)");
  }
  std::vector<std::pair<int, MemRef>> args{
      {DNNL_ARG_SRC, src_ref}, {DNNL_ARG_WEIGHTS, w_ref}, {DNNL_ARG_DST, dst}};
  if (bias_arg) {
    // oneDNN 2.x adds the bias before the output scales (dst = scale * (acc +
    // bias)), so it takes B / (x_scale * w_scales[c]), less zp·Σw (above).
    auto [b_storage, b_ref] = c.owned_tensor(DType::kFloat32, Shape{a.out_channels});
    const Tensor* bias = with_bias ? c.constant(node.inputs[2]) : nullptr;
    const std::int64_t per_channel = wq->size() / a.out_channels;
    const auto* w = static_cast<const std::int8_t*>(wq->raw());
    for (std::int64_t o = 0; o < a.out_channels; ++o) {
      std::int64_t w_sum = 0;
      for (std::int64_t k = 0; k < per_channel; ++k)
        w_sum += w[o * per_channel + k];
      const float b =
          bias != nullptr ? bias->data<float>()[o] / out_scales[static_cast<std::size_t>(o)] : 0.0f;
      b_storage->data<float>()[o] = b - static_cast<float>(static_cast<std::int64_t>(zero_point) * w_sum);
    }
    args.emplace_back(DNNL_ARG_BIAS, b_ref);
  }
  c.add_primitive("QConv", dnnl::convolution_forward(*pd), std::move(args), pd->scratchpad_desc());
  return true;
}

} // namespace

void register_qconv_kernels(KernelRegistry& r) { r.add("tilescope", "QConv", build_qconv); }

} // namespace tilescope::engine::onednn
