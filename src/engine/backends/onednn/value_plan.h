// What the storage planners (bf16_plan.cpp, quant_plan.cpp) both ask of a graph
// before compiling: which op a node is, whether a value is a non-empty float
// tensor, and who reads each value.
#pragma once

#include "tilescope/engine/graph.h"

#include <map>
#include <string>
#include <vector>

namespace tilescope::engine::onednn {

// A standard ONNX op (default domain) of that type.
inline bool is_onnx_op(const Node& node, const char* op_type) {
  return node.domain.empty() && node.op_type == op_type;
}

inline bool is_float_value(const Graph& graph, const std::string& value) {
  const ValueType& vt = graph.type_of(value);
  return vt.dtype == DType::kFloat32 && num_elements(vt.shape) > 0;
}

// Value name -> indices of the nodes that read it, in graph order.
inline std::map<std::string, std::vector<std::size_t>> readers_by_value(const Graph& graph) {
  std::map<std::string, std::vector<std::size_t>> readers;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const std::string& input : graph.nodes[i].inputs) {
      if (!input.empty()) readers[input].push_back(i);
    }
  }
  return readers;
}

} // namespace tilescope::engine::onednn
