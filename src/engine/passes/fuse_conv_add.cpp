// (Fused)Conv + Add residual -> FusedConv with the Add's other operand as the
// fourth input: out = act(conv(x) + b) + other, the oneDNN `sum` post-op (the
// cheap one; a full-tensor binary_add post-op is 10x slower, ONEDNN_NOTES #3).
// Only same-shape adds fuse (no broadcasting). The fused node takes the Add's
// place, so `other` is always computed before it.
#include "passes/passes.h"
#include "passes/pattern.h"

namespace tilescope::engine::passes {

void fuse_conv_add(Graph& graph) {
  std::vector<bool> dead(graph.nodes.size(), false);
  for (std::size_t c = 0; c < graph.nodes.size(); ++c) {
    const Node& conv = graph.nodes[c];
    if (dead[c] || !is_conv_like(conv) || conv.inputs.size() > 3) continue;
    const std::string y = conv.outputs[0];
    auto user = sole_consumer(graph, y);
    if (!user) continue;
    const Node& add = graph.nodes[*user];
    if (!is_op(add, "Add") || add.inputs.size() != 2) continue;
    const std::string& other = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
    if (other == y || graph.find_initializer(other) != nullptr) continue;
    auto ty = graph.value_types.find(y);
    auto to = graph.value_types.find(other);
    if (ty == graph.value_types.end() || to == graph.value_types.end()) continue;
    if (ty->second.shape != to->second.shape || ty->second.dtype != DType::kFloat32 ||
        to->second.dtype != DType::kFloat32) {
      continue;
    }

    Node fused = std::move(graph.nodes[c]);
    if (fused.op_type == "Conv") {
      fused.domain = "tilescope";
      fused.op_type = "FusedConv";
      fused.attrs.set("activation", std::string("none"));
      fused.attrs.set("alpha", 0.0f);
      fused.attrs.set("beta", 0.0f);
    }
    fused.inputs.resize(4);
    fused.inputs[3] = other;
    fused.outputs[0] = add.outputs[0];
    fused.fused_from.push_back(add.name);
    dead[c] = true;
    graph.nodes[*user] = std::move(fused);
  }
  erase_nodes(graph, dead);
}

} // namespace tilescope::engine::passes
