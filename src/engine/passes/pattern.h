// Small graph queries shared by the fusion passes.
#pragma once

#include "tilescope/engine/graph.h"

#include <optional>
#include <string>
#include <vector>

namespace tilescope::engine::passes {

// Indices of nodes reading `value` (a node reading it twice appears once).
std::vector<std::size_t> consumers_of(const Graph& graph, const std::string& value);
// The only consumer of `value`, if it has exactly one and is not a graph output.
std::optional<std::size_t> sole_consumer(const Graph& graph, const std::string& value);
bool is_op(const Node& node, const char* op_type); // default ONNX domain
bool is_conv_like(const Node& node);               // Conv or tilescope.FusedConv
// Removes the nodes flagged in `dead` (same size as graph.nodes), keeping order.
void erase_nodes(Graph& graph, const std::vector<bool>& dead);

} // namespace tilescope::engine::passes
