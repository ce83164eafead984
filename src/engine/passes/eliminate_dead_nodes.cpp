#include "passes/passes.h"
#include "passes/pattern.h"

#include <set>

namespace tilescope::engine::passes {

void eliminate_dead_nodes(Graph& graph) {
  std::set<std::string> live;
  for (const ValueInfo& out : graph.outputs)
    live.insert(out.name);
  std::vector<bool> dead(graph.nodes.size(), true);
  for (std::size_t i = graph.nodes.size(); i-- > 0;) {
    const Node& node = graph.nodes[i];
    bool used = false;
    for (const std::string& out : node.outputs)
      used = used || live.count(out) != 0;
    if (!used) continue;
    dead[i] = false;
    for (const std::string& in : node.inputs) {
      if (!in.empty()) live.insert(in);
    }
  }
  erase_nodes(graph, dead);
  for (auto it = graph.initializers.begin(); it != graph.initializers.end();) {
    it = live.count(it->first) ? std::next(it) : graph.initializers.erase(it);
  }
}

} // namespace tilescope::engine::passes
