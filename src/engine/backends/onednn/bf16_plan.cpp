#include "backends/onednn/bf16_plan.h"

#include "backends/onednn/value_plan.h"

#include <algorithm>
#include <map>
#include <vector>

namespace tilescope::engine::onednn {
namespace {

// Ops that only move values: bf16 in, bf16 out, when their inputs are bf16.
bool is_mover(const Node& node) {
  return is_onnx_op(node, "Concat") || is_onnx_op(node, "MaxPool") || is_onnx_op(node, "AveragePool") ||
         is_onnx_op(node, "Resize") || is_onnx_op(node, "Upsample");
}

// Split and Slice outputs are views of their input: same storage, same type.
bool is_view(const Node& node) { return is_onnx_op(node, "Split") || is_onnx_op(node, "Slice"); }

class Planner {
public:
  explicit Planner(const Graph& graph) : graph_(graph), readers_(readers_by_value(graph)) {}

  std::set<std::string> run() {
    for (const Node& node : graph_.nodes) {
      if (!is_bf16_conv(graph_, node) && !is_mover(node)) continue;
      const std::string& out = node.outputs[0];
      if (!out.empty() && is_float_value(graph_, out) && !graph_.is_graph_output(out)) bf16_.insert(out);
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (auto it = bf16_.begin(); it != bf16_.end();) {
        if (keeps(*it)) {
          ++it;
        } else {
          it = bf16_.erase(it);
          changed = true;
        }
      }
    }
    return bf16_;
  }

private:
  // `value` as stored: a view's type is its parent's.
  bool stored_bf16(const std::string& value) const {
    const std::optional<std::size_t> producer = graph_.producer_of(value);
    if (producer && is_view(graph_.nodes[*producer])) return stored_bf16(graph_.nodes[*producer].inputs[0]);
    return bf16_.count(value) != 0;
  }

  bool reader_takes_bf16(const Node& reader, const std::string& value) const {
    if (is_bf16_conv(graph_, reader)) {
      // X, or the residual Sum a FusedConv accumulates into its output.
      return reader.inputs[0] == value || (reader.inputs.size() > 3 && reader.inputs[3] == value &&
                                           reader.inputs[1] != value && reader.inputs[2] != value);
    }
    if (is_mover(reader)) {
      // Every Concat input is data; pooling and resize read data as input 0 only.
      const bool data = is_onnx_op(reader, "Concat") || reader.inputs[0] == value;
      return data && bf16_.count(reader.outputs[0]) != 0;
    }
    if (is_view(reader)) {
      if (reader.inputs[0] != value) return false;
      for (const std::string& out : reader.outputs) {
        if (out.empty()) continue;
        if (graph_.is_graph_output(out) || !all_readers_take_bf16(out)) return false;
      }
      return true;
    }
    return false;
  }

  bool all_readers_take_bf16(const std::string& value) const {
    auto it = readers_.find(value);
    if (it == readers_.end()) return true;
    return std::all_of(it->second.begin(), it->second.end(),
                       [&](std::size_t r) { return reader_takes_bf16(graph_.nodes[r], value); });
  }

  bool keeps(const std::string& value) const {
    const Node& producer = graph_.nodes[*graph_.producer_of(value)];
    // Pooling and resize keep their input's type (data is input 0). A Concat
    // copies each input into place with a reorder, which converts f32 ones on
    // the way at no extra cost: it takes any mix.
    if (is_mover(producer) && !is_onnx_op(producer, "Concat") && !stored_bf16(producer.inputs[0]))
      return false;
    return all_readers_take_bf16(value);
  }

  const Graph& graph_;
  std::map<std::string, std::vector<std::size_t>> readers_;
  std::set<std::string> bf16_;
};

} // namespace

bool is_bf16_conv(const Graph& graph, const Node& node) {
  const bool conv = is_onnx_op(node, "Conv") || (node.domain == "tilescope" && node.op_type == "FusedConv");
  if (!conv || node.inputs.size() < 2 || node.outputs.empty()) return false;
  if (graph.find_initializer(node.inputs[1]) == nullptr) return false;
  if (node.inputs.size() > 2 && !node.inputs[2].empty() && graph.find_initializer(node.inputs[2]) == nullptr)
    return false;
  if (const std::optional<std::size_t> producer = graph.producer_of(node.inputs[0]);
      producer && is_onnx_op(graph.nodes[*producer], "Softmax")) {
    return false;
  }
  const std::size_t rank = graph.type_of(node.inputs[0]).shape.size();
  return rank >= 3 && rank <= 5 && is_float_value(graph, node.inputs[0]) &&
         is_float_value(graph, node.outputs[0]);
}

std::set<std::string> plan_bf16_values(const Graph& graph) { return Planner(graph).run(); }

} // namespace tilescope::engine::onednn
