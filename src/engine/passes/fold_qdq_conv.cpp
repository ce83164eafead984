// QDQ -> integer convolution: the pattern ONNX Runtime's quantizer and
// `tilescope model quantize` write around every quantized Conv,
//
//   x ─► QuantizeLinear(s, zp) ─► DequantizeLinear(s, zp) ─► (Fused)Conv(W, B) ─►
//        W = DequantizeLinear(W_q int8, s_w[c], 0)  (folded to float by fold_constants)
//
// becomes tilescope.QConv(x, W_q, B, Sum) with attributes x_scale, x_zero_point,
// x_type ("uint8" | "int8") and w_scales (one per output channel) besides the
// FusedConv ones: the convolution reads x quantized (u8/s8) and the weights as
// int8, accumulates in int32 and scales by x_scale * w_scales[c] (what the
// DequantizeLinear nodes say it computes, without the float detour).
//
// The weights arrive already dequantized (W = W_q * s_w[c] in float32), so
// W_q and s_w are recovered: s_w[c] = max|W[c]| / 127 (symmetric int8, as both
// quantizers write it) and W_q = W / s_w[c] must then be integers; a Conv whose
// weights are not (other quantizers, BN folded in afterwards) is left as it is
// and still runs correctly on the QDQ nodes. Per-tensor activation parameters
// only; grouped convolutions are left alone. Runs after the fusion passes (the
// activation and residual are already in the FusedConv) on the onednn backend.
#include "passes/passes.h"
#include "passes/pattern.h"
#include "tilescope/engine/weight_quant.h"

#include <cmath>

namespace tilescope::engine::passes {
namespace {

struct ActivationQuant {
  std::string x; // the float value before QuantizeLinear
  float scale = 0;
  std::int64_t zero_point = 0;
  DType type = DType::kUInt8;
  std::vector<std::string> folded; // the Q and DQ node names
};

// Scalar scale and zero point of a Q / DQ node, when they are constants.
bool scalar_params(const Graph& g, const Node& n, float& scale, std::int64_t& zp, DType& type) {
  if (!n.has_input(1)) return false;
  const Tensor* s = g.find_initializer(n.inputs[1]);
  if (s == nullptr || s->size() != 1 || s->dtype() != DType::kFloat32) return false;
  scale = s->values<float>()[0];
  if (!(scale > 0) || !std::isfinite(scale)) return false;
  zp = 0;
  type = DType::kUInt8;
  if (n.has_input(2)) {
    const Tensor* z = g.find_initializer(n.inputs[2]);
    if (z == nullptr || z->size() != 1) return false;
    type = z->dtype();
    if (type != DType::kUInt8 && type != DType::kInt8) return false;
    zp = z->get_as_int(0);
  }
  return true;
}

// x when `value` is DequantizeLinear(QuantizeLinear(x)) with equal per-tensor parameters.
std::optional<ActivationQuant> match_qdq(const Graph& g, const std::string& value) {
  auto dq_index = g.producer_of(value);
  if (!dq_index) return std::nullopt;
  const Node& dq = g.nodes[*dq_index];
  if (!is_op(dq, "DequantizeLinear")) return std::nullopt;
  auto q_index = g.producer_of(dq.inputs[0]);
  if (!q_index) return std::nullopt;
  const Node& q = g.nodes[*q_index];
  if (!is_op(q, "QuantizeLinear")) return std::nullopt;
  ActivationQuant a;
  float q_scale = 0;
  std::int64_t q_zp = 0;
  DType q_type = DType::kUndefined;
  if (!scalar_params(g, dq, a.scale, a.zero_point, a.type) || !scalar_params(g, q, q_scale, q_zp, q_type))
    return std::nullopt;
  if (q_scale != a.scale || q_zp != a.zero_point || q_type != a.type) return std::nullopt;
  auto xt = g.value_types.find(q.inputs[0]);
  if (xt == g.value_types.end() || xt->second.dtype != DType::kFloat32) return std::nullopt;
  a.x = q.inputs[0];
  a.folded = {q.name, dq.name};
  return a;
}

// W_q and s_w from dequantized weights W [M, ...], or nullopt when W is not
// symmetric per-channel int8 data.
std::optional<std::pair<Tensor, std::vector<float>>> requantize(const Tensor& w) {
  if (w.dtype() != DType::kFloat32 || w.rank() < 3) return std::nullopt;
  const std::int64_t channels = w.shape()[0];
  const std::int64_t per = w.size() / channels;
  Tensor q(DType::kInt8, w.shape());
  std::vector<float> scales = symmetric_weight_scales(w);
  const float* wv = w.data<float>();
  std::int8_t* qv = q.data<std::int8_t>();
  for (std::int64_t c = 0; c < channels; ++c) {
    const float s = scales[static_cast<std::size_t>(c)];
    for (std::int64_t k = 0; k < per; ++k) {
      const float r = wv[c * per + k] / s;
      const float n = std::nearbyint(r);
      if (std::fabs(r - n) > 1e-3f) return std::nullopt; // not int8 data times s
      qv[c * per + k] = static_cast<std::int8_t>(n);
    }
  }
  return std::make_pair(std::move(q), std::move(scales));
}

} // namespace

void fold_qdq_conv(Graph& graph) {
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    Node& conv = graph.nodes[i];
    if (!is_conv_like(conv) || !conv.has_input(1)) continue;
    if (conv.attrs.get_int("group", 1) != 1) continue;
    const Tensor* w = graph.find_initializer(conv.inputs[1]);
    if (w == nullptr || w->rank() != 4) continue;
    if (conv.has_input(2) && graph.find_initializer(conv.inputs[2]) == nullptr) continue;
    std::optional<ActivationQuant> a = match_qdq(graph, conv.inputs[0]);
    if (!a) continue;
    auto requantized = requantize(*w);
    if (!requantized) continue;

    const std::string wq_name = conv.name + "/weights_int8";
    if (graph.initializers.count(wq_name) != 0) continue;
    graph.initializers.emplace(wq_name, std::move(requantized->first));
    graph.value_types[wq_name] = ValueType{DType::kInt8, w->shape()};
    if (conv.op_type == "Conv") {
      conv.attrs.set("activation", std::string("none"));
      conv.attrs.set("alpha", 0.0f);
      conv.attrs.set("beta", 0.0f);
    }
    conv.domain = "tilescope";
    conv.op_type = "QConv";
    conv.inputs[0] = a->x;
    conv.inputs[1] = wq_name;
    conv.attrs.set("x_scale", a->scale);
    conv.attrs.set("x_zero_point", a->zero_point);
    conv.attrs.set("x_type", std::string(a->type == DType::kInt8 ? "int8" : "uint8"));
    conv.attrs.set("w_scales", std::move(requantized->second));
    for (const std::string& n : a->folded)
      conv.fused_from.push_back(n);
  }
}

} // namespace tilescope::engine::passes
