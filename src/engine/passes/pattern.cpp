#include "passes/pattern.h"

#include <algorithm>

namespace tilescope::engine::passes {

std::vector<std::size_t> consumers_of(const Graph& graph, const std::string& value) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const auto& in = graph.nodes[i].inputs;
    if (std::find(in.begin(), in.end(), value) != in.end()) out.push_back(i);
  }
  return out;
}

std::optional<std::size_t> sole_consumer(const Graph& graph, const std::string& value) {
  if (graph.is_graph_output(value)) return std::nullopt;
  auto users = consumers_of(graph, value);
  if (users.size() != 1) return std::nullopt;
  const auto& in = graph.nodes[users[0]].inputs;
  if (std::count(in.begin(), in.end(), value) != 1) return std::nullopt;
  return users[0];
}

bool is_op(const Node& node, const char* op_type) { return node.domain.empty() && node.op_type == op_type; }

bool is_conv_like(const Node& node) {
  return is_op(node, "Conv") || (node.domain == "tilescope" && node.op_type == "FusedConv");
}

void erase_nodes(Graph& graph, const std::vector<bool>& dead) {
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!dead[i]) kept.push_back(std::move(graph.nodes[i]));
  }
  graph.nodes = std::move(kept);
}

} // namespace tilescope::engine::passes
