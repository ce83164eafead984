// Constant folding: evaluates, with the reference kernels, every node whose
// inputs are all known at load time, so the Shape -> Gather -> Unsqueeze ->
// Concat -> Reshape chains that exporters emit disappear. Shape is folded
// whenever its input's shape is static (always, after specialize_inputs).
#include "backends/reference/op_registry.h"
#include "passes/passes.h"

#include <algorithm>

namespace tilescope::engine::passes {
namespace {

bool is_shape_of_value(const Graph& graph, const Node& node) {
  return node.domain.empty() && node.op_type == "Shape" &&
         graph.find_initializer(node.inputs.at(0)) == nullptr;
}

bool is_foldable(const Graph& graph, const Node& node) {
  for (const std::string& out : node.outputs) {
    if (graph.is_graph_output(out)) return false; // graph outputs stay produced by nodes
  }
  if (is_shape_of_value(graph, node)) return true;
  return std::all_of(node.inputs.begin(), node.inputs.end(), [&](const std::string& in) {
    return in.empty() || graph.find_initializer(in) != nullptr;
  });
}

// Shape(x) from x's static type; opset 15's start/end clamp like Python slicing.
Tensor fold_shape(const Graph& graph, const Node& node) {
  const Shape& dims = graph.type_of(node.inputs[0]).shape;
  const auto rank = static_cast<std::int64_t>(dims.size());
  std::int64_t start = node.attrs.get_int("start", 0);
  std::int64_t end = node.attrs.get_int("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<std::int64_t>(start, 0, rank);
  end = std::clamp<std::int64_t>(end, start, rank);
  std::vector<std::int64_t> picked(dims.begin() + start, dims.begin() + end);
  return Tensor::from<std::int64_t>(Shape{end - start}, std::span<const std::int64_t>(picked));
}

std::vector<Tensor> evaluate(const Graph& graph, const Node& node, const std::vector<ValueType>& types) {
  std::vector<Tensor> outputs;
  if (is_shape_of_value(graph, node)) {
    outputs.push_back(fold_shape(graph, node));
    return outputs;
  }
  std::vector<const Tensor*> inputs;
  for (const std::string& in : node.inputs)
    inputs.push_back(in.empty() ? nullptr : graph.find_initializer(in));
  std::vector<Tensor*> output_ptrs;
  outputs.reserve(types.size());
  for (const ValueType& t : types)
    outputs.emplace_back(t.dtype == DType::kUndefined ? DType::kFloat32 : t.dtype, t.shape);
  for (Tensor& t : outputs)
    output_ptrs.push_back(&t);
  const reference::OpDef* def = reference::OpRegistry::instance().find(node.domain, node.op_type);
  def->run(reference::KernelContext{node, graph.opset, inputs, output_ptrs});
  return outputs;
}

} // namespace

void fold_constants(Graph& graph) {
  seed_value_types(graph);
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (Node& node : graph.nodes) {
    std::vector<ValueType> types = infer_node(graph, node);
    for (std::size_t i = 0; i < node.outputs.size(); ++i) {
      if (!node.outputs[i].empty()) graph.value_types[node.outputs[i]] = types[i];
    }
    if (!is_foldable(graph, node)) {
      kept.push_back(std::move(node));
      continue;
    }
    std::vector<Tensor> outputs = evaluate(graph, node, types);
    for (std::size_t i = 0; i < node.outputs.size(); ++i) {
      if (!node.outputs[i].empty())
        graph.initializers.insert_or_assign(node.outputs[i], std::move(outputs[i]));
    }
  }
  graph.nodes = std::move(kept);
}

} // namespace tilescope::engine::passes
