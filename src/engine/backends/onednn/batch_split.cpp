#include "backends/onednn/batch_split.h"

#include "passes/passes.h"

#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string_view>

namespace tilescope::engine::onednn {
namespace {

// Rewrites a node of the per-sample graph (shape-like constants); false when
// the node may mix samples.
using NodeRule = std::function<bool(const Graph& graph, Node& node, std::int64_t batch, Graph& out)>;

bool is_constant(const Graph& g, const std::string& value) { return g.find_initializer(value) != nullptr; }

std::int64_t rank_of(const Graph& g, const std::string& value) {
  return static_cast<std::int64_t>(g.type_of(value).shape.size());
}

// Constant operands that broadcast against runtime values must not vary along
// the batch: a constant of the output's rank needs dim 0 = 1 (lower ranks align
// to the trailing dims and never reach dim 0).
bool broadcast_constants_ok(const Graph& g, const Node& node) {
  const std::int64_t rank = rank_of(g, node.outputs[0]);
  for (const std::string& input : node.inputs) {
    if (input.empty() || !is_constant(g, input)) continue;
    const Shape& shape = g.type_of(input).shape;
    if (static_cast<std::int64_t>(shape.size()) == rank && shape[0] != 1) return false;
  }
  return true;
}

// Axis attribute `name` (default `fallback`), normalised against `rank`, is
// not the batch axis.
bool axis_not_batch(const Node& node, const std::string& name, std::int64_t fallback, std::int64_t rank) {
  std::int64_t axis = node.attrs.get_int(name, fallback);
  if (axis < 0) axis += rank;
  return axis != 0;
}

std::vector<std::int64_t> constant_ints(const Graph& g, const Node& node, std::size_t input) {
  if (!node.has_input(input)) return {};
  const Tensor* t = g.find_initializer(node.inputs[input]);
  return t == nullptr ? std::vector<std::int64_t>{} : t->to_int64_vector();
}

// Points input `input` of `node` at a copy of its constant whose element 0 is
// 1 instead of the batch (a shape naming the batch); other values stay.
bool patch_leading_batch(const Graph& g, Node& node, std::size_t input, std::int64_t batch, Graph& out) {
  const Tensor* t = g.find_initializer(node.inputs[input]);
  if (t == nullptr || t->dtype() != DType::kInt64 || t->size() == 0) return false;
  std::vector<std::int64_t> values = t->to_int64_vector();
  if (values[0] != batch) return true;
  values[0] = 1;
  const std::string name = node.inputs[input] + "/per_sample";
  if (out.initializers.count(name) == 0) {
    out.initializers.emplace(name, Tensor::from<std::int64_t>(t->shape(), values));
  }
  node.inputs[input] = name;
  return true;
}

bool ok(const Graph&, Node&, std::int64_t, Graph&) { return true; }

bool elementwise(const Graph& g, Node& node, std::int64_t, Graph&) { return broadcast_constants_ok(g, node); }

bool axis_attr(const Graph& g, Node& node, std::int64_t, Graph&) {
  return axis_not_batch(node, "axis", node.op_type == "Softmax" ? -1 : 0, rank_of(g, node.inputs[0]));
}

bool softmax(const Graph& g, Node& node, std::int64_t, Graph&) {
  // Before opset 13 Softmax flattens from `axis` (default 1) on: dim 0 stays outside.
  const std::int64_t fallback = g.opset < 13 ? 1 : -1;
  return axis_not_batch(node, "axis", fallback, rank_of(g, node.inputs[0]));
}

bool transpose(const Graph&, Node& node, std::int64_t, Graph&) {
  const std::vector<std::int64_t> perm = node.attrs.get_ints("perm");
  return !perm.empty() && perm[0] == 0; // the default reverses the axes
}

bool slice(const Graph& g, Node& node, std::int64_t, Graph&) {
  const std::int64_t rank = rank_of(g, node.inputs[0]);
  std::vector<std::int64_t> axes;
  if (g.opset < 10) {
    axes = node.attrs.get_ints("axes");
  } else {
    if (node.has_input(3) && !is_constant(g, node.inputs[3])) return false;
    axes = constant_ints(g, node, 3);
  }
  if (axes.empty()) return false; // all axes from 0 on
  for (std::int64_t axis : axes) {
    if ((axis < 0 ? axis + rank : axis) == 0) return false;
  }
  return true;
}

bool reduce(const Graph& g, Node& node, std::int64_t, Graph&) {
  const std::int64_t rank = rank_of(g, node.inputs[0]);
  std::vector<std::int64_t> axes = node.attrs.get_ints("axes");
  if (node.has_input(1)) {
    if (!is_constant(g, node.inputs[1])) return false;
    axes = constant_ints(g, node, 1);
  }
  if (axes.empty()) return false; // all axes
  for (std::int64_t axis : axes) {
    if ((axis < 0 ? axis + rank : axis) == 0) return false;
  }
  return true;
}

bool pad(const Graph& g, Node& node, std::int64_t, Graph&) {
  const std::int64_t rank = rank_of(g, node.inputs[0]);
  std::vector<std::int64_t> pads = node.attrs.get_ints("pads");
  if (g.opset >= 11) {
    if (!node.has_input(1) || !is_constant(g, node.inputs[1])) return false;
    if (node.has_input(3)) return false; // axes input (opset 18)
    pads = constant_ints(g, node, 1);
  }
  return static_cast<std::int64_t>(pads.size()) == 2 * rank && pads[0] == 0 && pads[rank] == 0;
}

bool reshape(const Graph& g, Node& node, std::int64_t batch, Graph& out) {
  return patch_leading_batch(g, node, 1, batch, out);
}

bool expand(const Graph& g, Node& node, std::int64_t batch, Graph& out) {
  return patch_leading_batch(g, node, 1, batch, out);
}

// Resize(X, roi, scales, sizes) / Upsample(X, scales): scale 1 along dim 0,
// or sizes naming the batch there.
bool resize(const Graph& g, Node& node, std::int64_t batch, Graph& out) {
  const std::size_t scales_input = node.op_type == "Upsample" ? 1 : 2;
  if (node.has_input(scales_input)) {
    const Tensor* scales = g.find_initializer(node.inputs[scales_input]);
    if (scales == nullptr) return false;
    if (scales->size() > 0 && scales->get_as_double(0) != 1.0) return false;
  }
  if (node.op_type == "Resize" && node.has_input(3)) return patch_leading_batch(g, node, 3, batch, out);
  return true;
}

bool mat_mul(const Graph& g, Node& node, std::int64_t, Graph&) {
  if (is_constant(g, node.inputs[0])) return false;
  // Rows of A are samples when B is constant; a runtime B must carry the batch
  // in its own dim 0, not in its contraction dim.
  if (!is_constant(g, node.inputs[1]) && (rank_of(g, node.inputs[0]) < 3 || rank_of(g, node.inputs[1]) < 3))
    return false;
  return broadcast_constants_ok(g, node);
}

bool gemm(const Graph& g, Node& node, std::int64_t, Graph&) {
  if (node.attrs.get_int("transA", 0) != 0 || is_constant(g, node.inputs[0])) return false;
  if (!is_constant(g, node.inputs[1]) || (node.has_input(2) && !is_constant(g, node.inputs[2]))) return false;
  return broadcast_constants_ok(g, node);
}

const std::map<std::pair<std::string_view, std::string_view>, NodeRule>& rules() {
  static const std::map<std::pair<std::string_view, std::string_view>, NodeRule> kRules{
      {{"", "Add"}, elementwise},
      {{"", "AveragePool"}, ok},
      {{"", "BatchNormalization"}, ok},
      {{"", "Cast"}, ok},
      {{"", "Clip"}, elementwise},
      {{"", "Concat"}, axis_attr},
      {{"", "Conv"}, ok},
      {{"", "Div"}, elementwise},
      {{"", "Exp"}, ok},
      {{"", "Expand"}, expand},
      {{"", "Flatten"}, ok}, // dim 0 of input and output = batch: rows stay whole samples
      {{"", "Gather"}, axis_attr},
      {{"", "Gemm"}, gemm},
      {{"", "GlobalAveragePool"}, ok},
      {{"", "HardSigmoid"}, ok},
      {{"", "HardSwish"}, ok},
      {{"", "Identity"}, ok},
      {{"", "LeakyRelu"}, ok},
      {{"", "MatMul"}, mat_mul},
      {{"", "MaxPool"}, ok},
      {{"", "Mul"}, elementwise},
      {{"", "Pad"}, pad},
      {{"", "Pow"}, elementwise},
      {{"", "ReduceMax"}, reduce},
      {{"", "ReduceMean"}, reduce},
      {{"", "Relu"}, ok},
      {{"", "Reshape"}, reshape},
      {{"", "Resize"}, resize},
      {{"", "Sigmoid"}, ok},
      {{"", "Slice"}, slice},
      {{"", "Softmax"}, softmax},
      {{"", "Split"}, axis_attr},
      {{"", "Sqrt"}, ok},
      {{"", "Squeeze"}, ok},
      {{"", "Sub"}, elementwise},
      {{"", "Tanh"}, ok},
      {{"", "Transpose"}, transpose},
      {{"", "Unsqueeze"}, ok},
      {{"", "Upsample"}, resize},
      {{"tilescope", "FusedConv"}, ok},
  };
  return kRules;
}

bool disabled_by_env() {
  const char* env = std::getenv("TILESCOPE_BATCH_SPLIT");
  return env != nullptr && std::strcmp(env, "0") == 0;
}

bool is_runtime(const Graph& g, const std::string& value) { return !value.empty() && !is_constant(g, value); }

Shape with_batch(Shape shape, std::int64_t batch) {
  shape[0] = batch;
  return shape;
}

} // namespace

std::optional<PerSampleGraph> per_sample_graph(const Graph& graph) {
  if (disabled_by_env() || graph.inputs.empty()) return std::nullopt;
  const Shape& first = graph.type_of(graph.inputs[0].name).shape;
  if (first.empty() || first[0] <= 1) return std::nullopt;
  const std::int64_t batch = first[0];
  auto has_batch = [&](const std::string& value) {
    const Shape& shape = graph.type_of(value).shape;
    return !shape.empty() && shape[0] == batch;
  };
  for (const ValueInfo& v : graph.inputs) {
    if (!has_batch(v.name)) return std::nullopt;
  }
  for (const ValueInfo& v : graph.outputs) {
    if (is_constant(graph, v.name) || !has_batch(v.name)) return std::nullopt;
  }

  PerSampleGraph out{graph.clone(), batch};
  Graph& g = out.graph;
  for (Node& node : g.nodes) {
    auto rule = rules().find({node.domain, node.op_type});
    if (rule == rules().end()) return std::nullopt;
    for (const std::string& v : node.inputs) {
      if (is_runtime(graph, v) && !has_batch(v)) return std::nullopt;
    }
    for (const std::string& v : node.outputs) {
      if (!v.empty() && !has_batch(v)) return std::nullopt;
    }
    if (!rule->second(graph, node, batch, g)) return std::nullopt;
  }

  for (ValueInfo& v : g.inputs)
    v.dims.at(0) = Dim{1, ""};
  for (ValueInfo& v : g.outputs) {
    if (!v.dims.empty()) v.dims[0] = Dim{1, ""};
  }
  g.value_types.clear();
  try {
    passes::infer_shapes(g);
  } catch (const Error&) {
    return std::nullopt; // a shape constant that still names the batch elsewhere
  }
  // Every runtime value must be the original with dim 0 = 1: anything else
  // means a node did not see the batch the way the rules assume.
  for (const auto& [name, type] : graph.value_types) {
    if (is_constant(graph, name)) continue;
    auto it = g.value_types.find(name);
    if (it == g.value_types.end() || it->second.dtype != type.dtype ||
        it->second.shape != with_batch(type.shape, 1)) {
      return std::nullopt;
    }
  }
  return out;
}

} // namespace tilescope::engine::onednn
