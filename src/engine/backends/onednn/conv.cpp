// Conv and tilescope.FusedConv as one oneDNN convolution each.
//
//   output = activation(conv(X, W) + B) + Sum
//
// - Layouts: src, weights and dst are `any`, so oneDNN picks (NHWC `acdb` with
//   blocked weights on AVX-512, nChw8c when capped to AVX2: never hard-coded).
//   When the producer stored X in another layout and oneDNN picks the same
//   implementation for that layout, X is read as it is (no reorder); 1x1 and
//   narrow convolutions, for which every jit kernel runs as fast, take the
//   layout of X or of their planned Concat slot (concat.cpp) unless their
//   readers run best on NHWC (layout_neutral, readers_want_nhwc).
// - Weights are reordered once, now, into the layout the primitive wants; the
//   graph's plain copy is not kept.
// - The activation is an eltwise post-op; hard_sigmoid is linear + clip (oneDNN
//   2.6 has no hardsigmoid). SiLU is our own step after the convolution
//   instead (native_swish.h, AVX-512) after Winograd ones and where the
//   convolution does little work per output element (native_silu_pays).
// - Sum is the `sum` post-op, never a full-tensor binary_add post-op (pitfall 3:
//   f32 with an NHWC src1 falls to gemm:jit, ~10x slower). `sum` accumulates into
//   dst, so Sum must be in the dst buffer first: dst takes Sum's storage when
//   this is Sum's last read (and its layout is dst's), or takes over a dense
//   copy of Sum made earlier, else Sum is copied (reordered) into dst first.
// - 3x3 stride-1 convolutions use Winograd (oneDNN picks F(2,3) or F(4,3) and
//   a blocked nChw16c layout, so they convert from and to NHWC neighbours;
//   1x1 neighbours follow them, see Layouts).
//   Measured on YOLOv8n's shapes (Zen 5, AVX-512, no AMX): 0.5-0.87x the time
//   of brgconv each, even with SiLU as a separate step (Winograd refuses it
//   as a post-op); whole model 22.1 -> 18.4 ms at 2 threads; parity error
//   <= 2.4x PyTorch's float32 error (replica test allows 4x). It costs ~2x
//   the weight memory (transformed 4x4/6x6 tiles) and ~15 ms more load time.
// - bf16 mode (bf16_plan.h): bf16 src and weights, dst bf16 or f32 as the
//   readers want; no Winograd. SiLU is always our own bf16 step (the post-op
//   costs ~2.3x as much), the image is converted to bf16 NHWC by our own
//   loop (native_convert.h), and activations stay NHWC or nChw16c
//   (Bf16Layout).
// - A 1x1 convolution to one channel (YOLO's DFL) is our own loop
//   (native_pointwise.h) on whatever layout X has.
#include "backends/onednn/bf16_plan.h"
#include "backends/onednn/kernel_registry.h"
#include "backends/onednn/native_convert.h"
#include "backends/onednn/native_pointwise.h"
#include "backends/onednn/native_swish.h"
#include "backends/reference/ops/conv_attrs.h"

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace tilescope::engine::onednn {
namespace {

using dnnl::algorithm;
using Pd = dnnl::convolution_forward::primitive_desc;
using DataType = dnnl::memory::data_type;

Md any_md(const Dims& dims, DataType type = DataType::f32) {
  return Md(dims, type, dnnl::memory::format_tag::any);
}

// Element types of a convolution's activations. Weights take src's type (bf16
// weights with bf16 src), bias stays f32 (oneDNN adds it in f32).
struct ConvTypes {
  DataType src = DataType::f32;
  DataType dst = DataType::f32;
};

struct EltwiseOp {
  algorithm alg;
  float alpha = 0.0f;
  float beta = 0.0f;
};

// The activation as oneDNN eltwise operations, applied in order.
std::vector<EltwiseOp> activation_ops(const FusedConvAttrs& a) {
  switch (a.activation) {
  case Activation::kNone: return {};
  case Activation::kRelu: return {{algorithm::eltwise_relu}};
  case Activation::kLeakyRelu: return {{algorithm::eltwise_relu, a.alpha}};
  case Activation::kSigmoid: return {{algorithm::eltwise_logistic}};
  case Activation::kHardSigmoid:
    return {{algorithm::eltwise_linear, a.alpha, a.beta}, {algorithm::eltwise_clip_v2, 0.0f, 1.0f}};
  case Activation::kHardSwish: return {{algorithm::eltwise_hardswish}};
  case Activation::kSilu: return {{algorithm::eltwise_swish, 1.0f}};
  case Activation::kClip: return {{algorithm::eltwise_clip_v2, a.alpha, a.beta}};
  case Activation::kTanh: return {{algorithm::eltwise_tanh}};
  }
  return {};
}

dnnl::post_ops post_ops_for(const FusedConvAttrs& a, bool with_sum) {
  dnnl::post_ops ops;
  for (const EltwiseOp& op : activation_ops(a))
    ops.append_eltwise(1.0f, op.alg, op.alpha, op.beta);
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
                          const Md& src, const Md& dst, algorithm alg = algorithm::convolution_direct) {
  const Md weights = any_md(s.weights, src.data_type());
  const auto prop = dnnl::prop_kind::forward_inference;
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

enum class ConvAlgo { kDirect, kWinograd };
constexpr ConvAlgo kDefaultConvAlgo = ConvAlgo::kWinograd;

// The value of an environment variable naming one of `choices`; `fallback` when unset
// or empty. Throws Error naming the variable for anything else. Read at each compile.
template <typename E>
E env_choice(const char* variable, E fallback,
             std::initializer_list<std::pair<std::string_view, E>> choices) {
  const char* env = std::getenv(variable);
  if (env == nullptr || *env == '\0') return fallback;
  const std::string_view value(env);
  std::string expected;
  for (const auto& [name, choice] : choices) {
    if (value == name) return choice;
    expected += (expected.empty() ? "'" : " or '") + std::string(name) + "'";
  }
  throw Error(std::string(variable) + "='" + std::string(value) + "': expected " + expected);
}

// TILESCOPE_CONV_ALGO=direct|winograd overrides the default (for experiments
// and tests).
ConvAlgo conv_algo() {
  return env_choice("TILESCOPE_CONV_ALGO", kDefaultConvAlgo,
                    {{"direct", ConvAlgo::kDirect}, {"winograd", ConvAlgo::kWinograd}});
}

} // namespace

// bf16 mode: the layout bf16 activations share (blocked_conv_channel_block).
//   kNhwc: brgconv's, the fastest per convolution; but channel slices of NHWC
//     are not dense, so every Concat input and Split half is copied;
//   kBlocked: nChw16c, on which oneDNN's jit_bf16 kernels run as fast for
//     most shapes (bf16_blocked_pays) and where Concat inputs and Split halves
//     are dense regions (no copies) once Concat plans bf16 slots.
enum class Bf16Layout { kNhwc, kBlocked };
constexpr Bf16Layout kDefaultBf16Layout = Bf16Layout::kNhwc;

// TILESCOPE_BF16_LAYOUT=nhwc|blocked overrides the default.
Bf16Layout bf16_layout() {
  return env_choice("TILESCOPE_BF16_LAYOUT", kDefaultBf16Layout,
                    {{"nhwc", Bf16Layout::kNhwc}, {"blocked", Bf16Layout::kBlocked}});
}

int blocked_conv_channel_block(const Compiler& c) {
  // bf16 convolutions have no Winograd kernel: brgconv on NHWC, or jit_bf16
  // on nChw16c (Bf16Layout).
  if (c.bf16()) return bf16_layout() == Bf16Layout::kBlocked ? 16 : 0;
  // Nor do int8 ones (qconv.cpp): they read and write NHWC, so blocked Concat
  // buffers would cost a conversion on each side.
  const auto& nodes = c.graph().nodes;
  if (std::any_of(nodes.begin(), nodes.end(), [](const Node& n) { return n.op_type == "QConv"; })) return 0;
  if (dnnl::get_effective_cpu_isa() < dnnl::cpu_isa::avx512_core) return 8;
  return conv_algo() == ConvAlgo::kWinograd ? 16 : 0;
}

namespace {

// oneDNN's f32 Winograd kernels take 3x3, stride 1, undilated, ungrouped 2-D
// convolutions only.
bool winograd_shape(const ConvAttrs& a) {
  if (a.spatial_rank() != 2 || a.group != 1) return false;
  for (std::size_t i = 0; i < 2; ++i) {
    if (a.kernel_shape[i] != 3 || a.strides[i] != 1 || a.dilations[i] != 1) return false;
  }
  return true;
}

// oneDNN's reference and gemm-based convolutions are 10-300x slower than its
// jit kernels: never pick them for a layout's sake.
bool is_jit(const Pd& pd) {
  const std::string impl = pd.impl_info_str();
  return impl.rfind("ref", 0) != 0 && impl.find("gemm") == std::string::npos;
}

// Convolutions for which any jit kernel runs about as fast as the one oneDNN
// picks for `any` layouts, so that they may take the layouts their neighbours
// have. Measured on YOLO's shapes (Zen 5, AVX-512, one thread): 1x1 stride-1
// ones (jit_1x1 on nChw16c vs brgconv_1x1 on NHWC: 0.96-1.06x) and narrow ones
// (stem 3->16 stride 2 reading the NCHW input straight into nChw16c: 1.0x,
// saving the input's reorder; 16->32 stride 2: 1.01x). Wider 3x3 stride-2 ones
// on nChw16c (jit:avx512_core) took 1.05-1.15x brgconv's NHWC time.
constexpr std::int64_t kNarrowChannels = 32;

bool is_pointwise(const ConvShapes& s) {
  for (std::size_t i = 0; i < s.strides.size(); ++i) {
    if (s.weights[s.weights.size() - s.strides.size() + i] != 1 || s.strides[i] != 1) return false;
  }
  return true;
}

bool layout_neutral(const ConvShapes& s) { return is_pointwise(s) || s.dst[1] <= kNarrowChannels; }

// `alt` replaces `chosen` when it costs nothing: oneDNN runs the same
// implementation on it, or (`any_jit`) another jit kernel as fast. Then the
// fixed layout saves a reorder or a copy.
void prefer(std::optional<Pd>& chosen, std::optional<Pd> alt, bool any_jit) {
  if (!alt) return;
  if (std::string(alt->impl_info_str()) == chosen->impl_info_str() || (any_jit && is_jit(*alt)))
    chosen = std::move(alt);
}

// True when `value` feeds direct convolutions that run fastest on NHWC
// (brgconv: wide stride-2 3x3, depthwise) and no Winograd one (nChw16c only): a 1x1
// convolution producing it had better write NHWC too, since layouts cannot
// change inside a convolution (oneDNN 2.6 has no blocked-to-NHWC kernel) and
// converting its output costs more than converting its input when it widens.
bool readers_want_nhwc(const Compiler& c, const std::string& value) {
  const int block = blocked_conv_channel_block(c);
  if (block != 16) return block == 0; // direct only on AVX-512: brgconv on NHWC throughout
  bool nhwc = false;
  for (const Node& reader : c.graph().nodes) {
    const bool is_conv = (reader.domain.empty() && reader.op_type == "Conv") ||
                         (reader.domain == "tilescope" && reader.op_type == "FusedConv");
    if (!is_conv || reader.inputs.size() < 2 || reader.inputs[0] != value) continue;
    const Tensor* w = c.constant(reader.inputs[1]);
    if (w == nullptr) continue;
    const ConvAttrs a = parse_conv_attrs(reader, c.type(value).shape, w->shape());
    if (winograd_shape(a)) return false;
    nhwc = nhwc || !layout_neutral(conv_shapes(a, c.type(value).shape));
  }
  return nhwc;
}

// bf16 convolutions that run as fast on nChw16c (jit_bf16) as on NHWC
// (brgconv). Measured, one Zen 5 thread, YOLOv8n's shapes, jit_bf16 time /
// brgconv time: 3x3 16->16 0.92, 32->32 1.01, 64->64 1.0, 128->128 1.05,
// stride-2 16->32 0.97, 32->64 1.0, 128->256 1.06; 1x1 32->32 0.87, 48->32
// 1.0, 64->64 1.06, 128->128 0.99, 256->256 1.0, 128->64 1.09, 192->64 1.10;
// but 64->80 3x3 1.19 and 80->80 3x3 1.20: jit_bf16 blocks output channels by
// 32, so a width of 5 blocks of 16 wastes a third of a block pair.
bool bf16_blocked_pays(const ConvShapes& s) {
  const std::int64_t out_channels = s.dst[1];
  return s.src.size() == 4 && (out_channels <= 32 || out_channels % 32 == 0);
}

// Bf16Layout::kBlocked: the convolution on nChw16c, writing its planned slot
// when it has one; nullopt when it runs better on NHWC (or no jit kernel
// takes it), which the caller then picks.
std::optional<Pd> bf16_blocked_pd(Compiler& c, const Node& node, const ConvShapes& s, bool with_bias,
                                  const dnnl::primitive_attr& attr, ConvTypes t) {
  if (!bf16_blocked_pays(s)) return std::nullopt;
  // The image (a plain input of a few channels) is read plain: jit_bf16 has a
  // kernel for it, and converting it to bf16 NCHW is a plain copy.
  const bool image = s.src[1] < 16 && is_plain(c.stored_layout(node.inputs[0]));
  const Md src = image ? plain_md(s.src, t.src) : channel_blocked_md(s.src, 16, t.src);
  const MemRef* slot = c.slot(node.outputs[0]);
  std::vector<Md> dsts;
  if (slot != nullptr && slot->md.data_type() == t.dst) dsts.push_back(slot->md);
  // float32 outputs go to decoding readers: any layout oneDNN likes.
  dsts.push_back(t.dst == DataType::bf16 ? channel_blocked_md(s.dst, 16, t.dst) : any_md(s.dst, t.dst));
  for (const Md& dst : dsts) {
    std::optional<Pd> pd = make_pd(c, s, with_bias, attr, src, dst);
    if (pd && is_jit(*pd)) return pd;
  }
  return std::nullopt;
}

// The direct convolution, reading X, writing its planned Concat slot
// (concat.cpp) and writing over Sum in the layouts they already have when that
// costs nothing.
std::optional<Pd> direct_pd(Compiler& c, const Node& node, const ConvShapes& s, bool with_bias, bool with_sum,
                            const dnnl::primitive_attr& attr, ConvTypes t = {}) {
  if (t.src == DataType::bf16 && blocked_conv_channel_block(c) == 16) {
    if (std::optional<Pd> pd = bf16_blocked_pd(c, node, s, with_bias, attr, t)) return pd;
  }
  std::optional<Pd> pd = make_pd(c, s, with_bias, attr, any_md(s.src, t.src), any_md(s.dst, t.dst));
  if (!pd) return pd;

  const MemRef* slot = with_sum ? nullptr : c.slot(node.outputs[0]);
  if (slot != nullptr && slot->md.data_type() != t.dst) slot = nullptr;
  const bool any_jit = layout_neutral(s) && (slot != nullptr || !readers_want_nhwc(c, node.outputs[0]));
  const Md x_layout = with_type(c.layout(node.inputs[0]), t.src);
  if (!same_layout(pd->src_desc(), x_layout))
    prefer(pd, make_pd(c, s, with_bias, attr, x_layout, any_md(s.dst, t.dst)), any_jit);
  if (slot != nullptr && !same_layout(pd->dst_desc(), slot->md)) {
    std::optional<Pd> alt = make_pd(c, s, with_bias, attr, pd->src_desc(), slot->md);
    if ((!alt || !is_jit(*alt)) && any_jit)
      alt = make_pd(c, s, with_bias, attr, any_md(s.src, t.src), slot->md);
    prefer(pd, std::move(alt), any_jit);
  }
  if (with_sum) {
    const Md sum_layout = with_type(c.layout(node.inputs[3]), t.dst);
    if (!same_layout(pd->dst_desc(), sum_layout)) {
      prefer(pd, make_pd(c, s, with_bias, attr, pd->src_desc(), sum_layout), any_jit);
    }
  }
  return pd;
}

// A convolution and the steps that finish its output. Winograd in oneDNN 2.6
// takes ReLU-family and sum post-ops but refuses swish/logistic (YOLO's SiLU):
// then the activation runs in place on dst and Sum is added after it (a binary
// add, since `act(conv) + Sum` is not `act(conv + Sum)`).
struct ConvPlan {
  Pd pd;
  bool winograd = false;
  std::vector<dnnl::eltwise_forward::primitive_desc> activation; // separate steps, in order
  std::optional<dnnl::binary::primitive_desc> add_sum;           // separate Sum
  bool native_silu = false; // SiLU and Sum as one native step (native_swish.h)
};

// SiLU as our own step after the convolution instead of oneDNN's post-op, for
// convolutions that do little work per output element: there the post-op
// (exp and a division per element) dominates. Measured, one thread, Zen 5,
// conv + native step / conv with fused post-op, by multiply-adds per output
// element: 27 (stem 3->16 3x3 s2) 0.22x; 32 (1x1) 0.82x; 48 0.87x; 64 0.91x;
// 144 (16->32 3x3 s2) 0.92x; 128-256 (1x1) 0.95-0.98x; 576 (3x3) 0.99x. Each
// step also costs a fork/join of the thread team, hence the cut.
constexpr std::int64_t kNativeSiluMaxMacs = 160;

bool native_silu_pays(const FusedConvAttrs& a, const ConvShapes& s) {
  if (a.activation != Activation::kSilu || !native_swish_available()) return false;
  std::int64_t macs = s.weights[s.weights.size() - s.strides.size() - 1]; // input channels per group
  for (std::size_t i = 0; i < s.strides.size(); ++i)
    macs *= s.weights[s.weights.size() - s.strides.size() + i];
  return macs <= kNativeSiluMaxMacs;
}

// bf16 outputs: SiLU always as our own step (make_swish_kernel_bf16), never
// oneDNN's swish post-op. The post-op costs ~0.22 ns per element on one Zen 5
// thread (1x1 64->64 at 80x80: 0.106 ms without it, 0.204 ms with it; stem
// 3->16: 0.32 vs 0.70 ms), our bf16 step 0.095 ns (native_swish.cpp). YOLOv8n,
// CPU time per run on one thread: post-ops 21.1 ms of convolutions, separate
// steps 17.4 + 1.5 ms. (An earlier note here measured the post-op 5x slower:
// that was a busy machine, where two threads spinning at each step's barrier
// lose whole scheduler slices.) TILESCOPE_BF16_SILU=fused keeps the post-op
// (for measurements).
bool bf16_native_silu(const FusedConvAttrs& a) {
  if (a.activation != Activation::kSilu || !native_swish_available()) return false;
  const char* env = std::getenv("TILESCOPE_BF16_SILU");
  return env == nullptr || std::string_view(env) != "fused";
}

std::optional<ConvPlan> winograd_plan(Compiler& c, const FusedConvAttrs& a, const ConvShapes& s,
                                      bool with_bias, bool with_sum, const dnnl::primitive_attr& fused_attr) {
  if (!winograd_shape(a)) return std::nullopt;
  const auto alg = algorithm::convolution_winograd;
  if (auto pd = make_pd(c, s, with_bias, fused_attr, any_md(s.src), any_md(s.dst), alg))
    return ConvPlan{*pd, true, {}, std::nullopt};
  auto pd = make_pd(c, s, with_bias, c.attr(), any_md(s.src), any_md(s.dst), alg);
  if (!pd) return std::nullopt;
  ConvPlan plan{*pd, true, {}, std::nullopt};
  if (a.activation == Activation::kSilu && native_swish_available()) {
    plan.native_silu = true;
    return plan;
  }
  const Md dst = pd->dst_desc();
  for (const EltwiseOp& op : activation_ops(a)) {
    auto step = try_primitive_desc<dnnl::eltwise_forward::primitive_desc>(
        dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, op.alg, dst, op.alpha, op.beta),
        c.attr(), c.engine());
    if (!step) return std::nullopt;
    plan.activation.push_back(*step);
  }
  if (with_sum) {
    plan.add_sum = try_primitive_desc<dnnl::binary::primitive_desc>(
        dnnl::binary::desc(algorithm::binary_add, dst, dst, dst), c.attr(), c.engine());
    if (!plan.add_sum) return std::nullopt;
  }
  return plan;
}

// dst for a convolution whose `sum` post-op accumulates into it: Sum must be in
// the dst buffer first.
MemRef define_sum_dst(Compiler& c, const Node& node, const Md& dst_md, const MemRef& src) {
  const std::string& output = node.outputs[0];
  const std::string& sum = node.inputs[3];
  const MemRef sum_ref = c.read_any(sum);
  // dst may take Sum's storage unless the convolution also reads it as X.
  // Else a dense copy of Sum made for an earlier reader (a C2f Split half,
  // copied for the bottleneck's first conv) can be taken over.
  std::optional<MemRef> copy;
  MemRef dst;
  if (same_layout(sum_ref.md, dst_md) && sum_ref.buffer != src.buffer && c.can_overwrite(node, sum)) {
    dst = MemRef{sum_ref.buffer, sum_ref.offset, dst_md};
    c.define_alias(output, dst);
  } else if ((copy = c.take_copy(sum, dst_md, src))) {
    dst = MemRef{copy->buffer, copy->offset, dst_md};
    c.define_alias(output, dst);
  } else {
    dst = c.define(output, dst_md);
    c.add_reorder(sum_ref, dst, "Reorder(sum)");
  }
  return dst;
}

// X in the layout `md` the convolution reads. The bf16 stem's image (f32
// NCHW, 1-4 channels, to bf16 NHWC or NCHW) is converted by our own loop
// (native_convert.h): oneDNN's reorder for it runs on one thread.
MemRef read_src(Compiler& c, const std::string& x, const Md& md) {
  const Md stored = c.stored_layout(x);
  if (md.data_type() == DataType::bf16 && !same_layout(stored, md)) {
    if (auto kernel = make_image_to_bf16_kernel(stored, md)) {
      const MemRef to = c.new_arena_ref(md);
      c.add_native("Reorder", std::move(kernel), {{DNNL_ARG_SRC, c.read_any(x)}, {DNNL_ARG_DST, to}});
      return to;
    }
  }
  return c.read(x, md);
}

// A float32 1x1 convolution to one channel without activation or Sum (the
// DFL of YOLOv8/11 heads) as our own loop, reading X in the layout it has
// (native_pointwise.h). False when it does not qualify.
bool build_channel_sum(Compiler& c, const Node& node, const FusedConvAttrs& a, const ConvShapes& s,
                       bool with_bias, bool with_sum) {
  if (with_sum || a.activation != Activation::kNone || a.group != 1 || s.dst.size() != 4 || s.dst[1] != 1 ||
      !is_pointwise(s) || (c.bf16() && is_bf16_conv(c.graph(), node)))
    return false;
  const auto zero = [](const Dims& pads) {
    return std::all_of(pads.begin(), pads.end(), [](auto p) { return p == 0; });
  };
  if (!zero(s.pad_l) || !zero(s.pad_r)) return false;
  const std::span<const float> w = c.constant(node.inputs[1])->values<float>();
  const float bias = with_bias ? c.constant(node.inputs[2])->values<float>()[0] : 0.0f;
  const MemRef src = c.read_any(node.inputs[0]);
  std::unique_ptr<NativeKernel> kernel =
      make_channel_sum_kernel(src.md, std::vector<float>(w.begin(), w.end()), bias);
  if (!kernel) return false;
  const MemRef dst = c.define(node.outputs[0], plain_md(s.dst));
  c.add_native(node.op_type, std::move(kernel), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  return true;
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
  if (build_channel_sum(c, node, a, s, with_bias, with_sum)) return true;

  dnnl::primitive_attr attr = c.attr();
  attr.set_post_ops(post_ops_for(a, with_sum));
  // bf16 mode: bf16 src and weights; dst bf16 when its readers take it
  // (bf16_plan.h), else f32 straight from the convolution.
  ConvTypes types;
  if (c.bf16() && is_bf16_conv(c.graph(), node)) {
    types.src = DataType::bf16;
    if (c.stores_bf16(output)) types.dst = DataType::bf16;
  }
  const bool f32_conv = types.src == DataType::f32;
  std::optional<ConvPlan> plan;
  if (f32_conv && conv_algo() == ConvAlgo::kWinograd)
    plan = winograd_plan(c, a, s, with_bias, with_sum, attr);
  const bool native_silu = types.dst == DataType::bf16 ? bf16_native_silu(a) : native_silu_pays(a, s);
  if (!plan && native_silu) {
    std::optional<Pd> pd = direct_pd(c, node, s, with_bias, false, c.attr(), types);
    if (pd) plan = ConvPlan{*pd, false, {}, std::nullopt, true};
  }
  if (!plan) {
    std::optional<Pd> pd = direct_pd(c, node, s, with_bias, with_sum, attr, types);
    if (!pd) return false;
    plan = ConvPlan{*pd, false, {}, std::nullopt};
  }
  const Pd& pd = plan->pd;
  const bool fused_sum = with_sum && !plan->add_sum && !plan->native_silu;

  const MemRef src = read_src(c, x, pd.src_desc());
  std::vector<std::pair<int, MemRef>> args{{DNNL_ARG_SRC, src},
                                           {DNNL_ARG_WEIGHTS, c.read(node.inputs[1], pd.weights_desc())}};
  if (with_bias) args.emplace_back(DNNL_ARG_BIAS, c.read_plain(node.inputs[2]));
  const MemRef dst =
      fused_sum ? define_sum_dst(c, node, pd.dst_desc(), src) : c.define(output, pd.dst_desc());
  args.emplace_back(DNNL_ARG_DST, dst);
  const std::string label = node.op_type + (plan->winograd ? "(winograd)" : "");
  c.add_primitive(label, dnnl::convolution_forward(pd), std::move(args), pd.scratchpad_desc());
  if (plan->native_silu) {
    std::vector<std::pair<int, MemRef>> silu_args{{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}};
    if (with_sum) silu_args.emplace_back(DNNL_ARG_SRC_1, c.read(node.inputs[3], dst.md));
    const bool bf16_dst = dst.md.data_type() == DataType::bf16;
    c.add_native(node.op_type + "(activation)",
                 bf16_dst ? make_swish_kernel_bf16(with_sum) : make_swish_kernel(with_sum),
                 std::move(silu_args));
  }
  for (const auto& step : plan->activation) {
    c.add_primitive(node.op_type + "(activation)", dnnl::eltwise_forward(step),
                    {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}}, step.scratchpad_desc());
  }
  if (plan->add_sum) {
    const MemRef sum = c.read(node.inputs[3], dst.md);
    c.add_primitive(node.op_type + "(sum)", dnnl::binary(*plan->add_sum),
                    {{DNNL_ARG_SRC_0, dst}, {DNNL_ARG_SRC_1, sum}, {DNNL_ARG_DST, dst}},
                    plan->add_sum->scratchpad_desc());
  }
  return true;
}

} // namespace

void register_conv_kernels(KernelRegistry& r) {
  r.add("", "Conv", build_conv);
  r.add("tilescope", "FusedConv", build_conv);
}

} // namespace tilescope::engine::onednn
