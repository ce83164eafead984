// Conv + BatchNormalization (inference) -> Conv with folded weights:
//   s = scale / sqrt(var + eps);  W' = W * s[oc];  B' = (B - mean) * s + bias.
// Computed in double, stored as float32 (as PyTorch's fuse_conv_bn_eval does in
// the weights' precision).
#include "passes/passes.h"
#include "passes/pattern.h"

#include <cmath>

namespace tilescope::engine::passes {
namespace {

bool all_constant_f32(const Graph& graph, const Node& node, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    const Tensor* t = i < node.inputs.size() ? graph.find_initializer(node.inputs[i]) : nullptr;
    if (t == nullptr || t->dtype() != DType::kFloat32) return false;
  }
  return true;
}

} // namespace

void fuse_conv_bn(Graph& graph) {
  std::vector<bool> dead(graph.nodes.size(), false);
  for (std::size_t c = 0; c < graph.nodes.size(); ++c) {
    Node& conv = graph.nodes[c];
    if (!is_op(conv, "Conv") || dead[c]) continue;
    auto user = sole_consumer(graph, conv.outputs[0]);
    if (!user) continue;
    Node& bn = graph.nodes[*user];
    if (!is_op(bn, "BatchNormalization") || bn.outputs.size() != 1 || bn.inputs[0] != conv.outputs[0])
      continue;
    if (!all_constant_f32(graph, bn, 1, 5)) continue;
    const Tensor* w = graph.find_initializer(conv.inputs[1]);
    if (w == nullptr || w->dtype() != DType::kFloat32) continue;
    const Tensor* b = conv.has_input(2) ? graph.find_initializer(conv.inputs[2]) : nullptr;
    if (conv.has_input(2) && b == nullptr) continue;

    const auto& scale = *graph.find_initializer(bn.inputs[1]);
    const auto& bias = *graph.find_initializer(bn.inputs[2]);
    const auto& mean = *graph.find_initializer(bn.inputs[3]);
    const auto& var = *graph.find_initializer(bn.inputs[4]);
    const double eps = bn.attrs.get_float("epsilon", 1e-5f);
    const std::int64_t oc = w->shape()[0];
    if (scale.size() != oc || bias.size() != oc || mean.size() != oc || var.size() != oc) continue;
    const std::int64_t per_oc = w->size() / oc;

    Tensor new_w(DType::kFloat32, w->shape());
    Tensor new_b(DType::kFloat32, Shape{oc});
    for (std::int64_t o = 0; o < oc; ++o) {
      const double s = static_cast<double>(scale.data<float>()[o]) /
                       std::sqrt(static_cast<double>(var.data<float>()[o]) + eps);
      for (std::int64_t k = 0; k < per_oc; ++k) {
        new_w.data<float>()[o * per_oc + k] = static_cast<float>(w->data<float>()[o * per_oc + k] * s);
      }
      const double b0 = b ? b->data<float>()[o] : 0.0;
      new_b.data<float>()[o] = static_cast<float>((b0 - mean.data<float>()[o]) * s + bias.data<float>()[o]);
    }
    const std::string w_name = conv.name + "/fused_bn_W";
    const std::string b_name = conv.name + "/fused_bn_B";
    graph.initializers.insert_or_assign(w_name, std::move(new_w));
    graph.initializers.insert_or_assign(b_name, std::move(new_b));
    conv.inputs.resize(3);
    conv.inputs[1] = w_name;
    conv.inputs[2] = b_name;
    conv.outputs[0] = bn.outputs[0];
    conv.fused_from.push_back(bn.name);
    dead[*user] = true;
  }
  erase_nodes(graph, dead);
}

} // namespace tilescope::engine::passes
