// Conv + activation -> tilescope.FusedConv{activation, alpha, beta}, which the
// oneDNN backend runs as one convolution with an eltwise post-op. SiLU is
// matched in the form exporters write it: Mul(x, Sigmoid(x)) (either order).
// The fused node takes the place of the pattern's last node, so every input it
// reads is still computed before it.
#include "passes/passes.h"
#include "passes/pattern.h"

#include <limits>

namespace tilescope::engine::passes {
namespace {

struct Activation {
  std::string name;
  float alpha = 0.0f;
  float beta = 0.0f;
};

// The activation `node` computes from its first input, if it is one we fuse.
std::optional<Activation> match_unary(const Graph& graph, const Node& node) {
  if (!node.domain.empty() || node.outputs.size() != 1) return std::nullopt;
  const std::string& op = node.op_type;
  if (op == "Relu") return Activation{"relu"};
  if (op == "Sigmoid") return Activation{"sigmoid"};
  if (op == "Tanh") return Activation{"tanh"};
  if (op == "HardSwish") return Activation{"hard_swish"};
  if (op == "LeakyRelu") return Activation{"leaky_relu", node.attrs.get_float("alpha", 0.01f)};
  if (op == "HardSigmoid") {
    return Activation{"hard_sigmoid", node.attrs.get_float("alpha", 0.2f),
                      node.attrs.get_float("beta", 0.5f)};
  }
  if (op == "Clip") {
    float lo = std::numeric_limits<float>::lowest();
    float hi = std::numeric_limits<float>::max();
    if (graph.opset < 11) {
      lo = node.attrs.get_float("min", lo);
      hi = node.attrs.get_float("max", hi);
    } else {
      for (std::size_t i = 1; i <= 2; ++i) {
        if (!node.has_input(i)) continue;
        const Tensor* t = graph.find_initializer(node.inputs[i]);
        if (t == nullptr || t->dtype() != DType::kFloat32 || t->size() != 1) return std::nullopt;
        (i == 1 ? lo : hi) = t->data<float>()[0];
      }
    }
    return Activation{"clip", lo, hi};
  }
  return std::nullopt;
}

bool fusable_conv(const Graph& graph, const Node& node) {
  if (!is_conv_like(node)) return false;
  if (node.attrs.get_string("activation", "none") != "none" || node.inputs.size() > 3) return false;
  auto it = graph.value_types.find(node.outputs[0]);
  return it == graph.value_types.end() || it->second.dtype == DType::kFloat32;
}

void make_fused(Node& conv, const Activation& act, const std::string& output,
                const std::vector<const Node*>& absorbed) {
  conv.domain = "tilescope";
  conv.op_type = "FusedConv";
  conv.attrs.set("activation", act.name);
  conv.attrs.set("alpha", act.alpha);
  conv.attrs.set("beta", act.beta);
  conv.outputs[0] = output;
  for (const Node* n : absorbed)
    conv.fused_from.push_back(n->name);
}

} // namespace

void fuse_conv_activation(Graph& graph) {
  std::vector<bool> dead(graph.nodes.size(), false);
  for (std::size_t c = 0; c < graph.nodes.size(); ++c) {
    if (dead[c] || !fusable_conv(graph, graph.nodes[c])) continue;
    const std::string y = graph.nodes[c].outputs[0];
    if (graph.is_graph_output(y)) continue;
    auto users = consumers_of(graph, y);

    std::optional<Activation> act;
    std::size_t last = 0; // position the fused node takes
    std::vector<std::size_t> absorbed;
    if (users.size() == 1 && graph.nodes[users[0]].inputs.size() >= 1 &&
        graph.nodes[users[0]].inputs[0] == y) {
      act = match_unary(graph, graph.nodes[users[0]]);
      last = users[0];
      absorbed = {users[0]};
    } else if (users.size() == 2) {
      // SiLU: s = Sigmoid(y); out = Mul(y, s) with s used by the Mul alone.
      std::size_t sig = users[0], mul = users[1];
      if (!is_op(graph.nodes[sig], "Sigmoid")) std::swap(sig, mul);
      const Node& s = graph.nodes[sig];
      const Node& m = graph.nodes[mul];
      if (is_op(s, "Sigmoid") && is_op(m, "Mul") && m.inputs.size() == 2 &&
          ((m.inputs[0] == y && m.inputs[1] == s.outputs[0]) ||
           (m.inputs[1] == y && m.inputs[0] == s.outputs[0])) &&
          sole_consumer(graph, s.outputs[0]) == mul) {
        act = Activation{"silu"};
        last = std::max(sig, mul);
        absorbed = {sig, mul};
      }
    }
    if (!act) continue;

    Node fused = std::move(graph.nodes[c]);
    std::vector<const Node*> absorbed_nodes;
    for (std::size_t i : absorbed)
      absorbed_nodes.push_back(&graph.nodes[i]);
    const std::string output = graph.nodes[last].outputs[0];
    make_fused(fused, *act, output, absorbed_nodes);
    for (std::size_t i : absorbed)
      dead[i] = true;
    dead[c] = true;
    graph.nodes[last] = std::move(fused);
    dead[last] = false;
  }
  erase_nodes(graph, dead);
}

} // namespace tilescope::engine::passes
