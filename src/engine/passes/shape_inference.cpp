// Static shape inference: every op's InferFn (backends/reference/ops) run in
// topological order over graph.value_types.
#include "backends/reference/op_registry.h"
#include "passes/passes.h"

namespace tilescope::engine::passes {

void seed_value_types(Graph& graph) {
  graph.value_types.clear();
  for (const ValueInfo& in : graph.inputs) {
    Shape shape;
    for (std::size_t d = 0; d < in.dims.size(); ++d) {
      if (!in.dims[d].is_static()) throw Error("input '" + in.name + "' still has a dynamic dimension");
      shape.push_back(in.dims[d].value);
    }
    graph.value_types[in.name] = ValueType{in.dtype, shape};
  }
  for (const auto& [name, tensor] : graph.initializers)
    graph.value_types[name] = ValueType{tensor.dtype(), tensor.shape()};
}

std::vector<ValueType> infer_node(const Graph& graph, const Node& node) {
  const reference::OpDef* def = reference::OpRegistry::instance().find(node.domain, node.op_type);
  if (def == nullptr) throw Error(node.describe() + ": operator '" + node.op_type + "' is not supported");
  std::vector<const ValueType*> inputs;
  std::vector<const Tensor*> constants;
  for (const std::string& name : node.inputs) {
    if (name.empty()) {
      inputs.push_back(nullptr);
      constants.push_back(nullptr);
      continue;
    }
    auto it = graph.value_types.find(name);
    if (it == graph.value_types.end()) {
      throw Error(node.describe() + ": input '" + name +
                  "' is not produced by any earlier node, input or initializer");
    }
    inputs.push_back(&it->second);
    constants.push_back(graph.find_initializer(name));
  }
  reference::InferContext ctx(node, graph.opset, std::move(inputs), std::move(constants));
  def->infer(ctx);
  for (std::size_t i = 0; i < node.outputs.size(); ++i) {
    if (!node.outputs[i].empty() && ctx.outputs()[i].dtype == DType::kUndefined) {
      throw Error(node.describe() + ": output " + std::to_string(i) + " ('" + node.outputs[i] +
                  "') is not produced by this operator");
    }
  }
  return std::move(ctx.outputs());
}

void infer_shapes(Graph& graph) {
  seed_value_types(graph);
  for (const Node& node : graph.nodes) {
    std::vector<ValueType> types = infer_node(graph, node);
    for (std::size_t i = 0; i < node.outputs.size(); ++i) {
      if (!node.outputs[i].empty()) graph.value_types[node.outputs[i]] = std::move(types[i]);
    }
  }
  for (const ValueInfo& out : graph.outputs) {
    if (graph.value_types.count(out.name) == 0)
      throw Error("graph output '" + out.name + "' is never produced");
  }
}

} // namespace tilescope::engine::passes
