#include "backends/onednn/quant_plan.h"

#include "backends/onednn/value_plan.h"

#include <optional>
#include <vector>

namespace tilescope::engine::onednn {
namespace {

bool is_qconv(const Node& node) { return node.domain == "tilescope" && node.op_type == "QConv"; }
bool has_sum(const Node& qconv) { return qconv.inputs.size() > 3 && !qconv.inputs[3].empty(); }

// Ops that pick values without arithmetic: their u8 output has their u8
// input's quantization. Resize only when nearest (linear would round twice).
bool is_picker(const Node& node) {
  if (is_onnx_op(node, "MaxPool")) return node.outputs.size() < 2 || node.outputs[1].empty();
  if (is_onnx_op(node, "Resize") || is_onnx_op(node, "Upsample"))
    return node.attrs.get_string("mode", "nearest") == "nearest";
  return false;
}

class Planner {
public:
  explicit Planner(const Graph& graph) : graph_(graph), readers_(readers_by_value(graph)) {}

  std::map<std::string, Quant> run() {
    // Readers before producers (the nodes are in topological order), so that
    // in the first pass a Concat or picker output has its quantization before
    // its inputs ask for it.
    std::vector<std::string> order;
    for (auto node = graph_.nodes.rbegin(); node != graph_.nodes.rend(); ++node) {
      const bool producer =
          (is_qconv(*node) && !has_sum(*node)) || is_onnx_op(*node, "Concat") || is_picker(*node);
      if (!producer || node->outputs.empty()) continue;
      const std::string& out = node->outputs[0];
      if (!out.empty() && is_float_value(graph_, out) && !graph_.is_graph_output(out)) {
        u8_[out] = Quant{};
        order.push_back(out);
      }
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (const std::string& value : order) {
        auto it = u8_.find(value);
        if (it == u8_.end()) continue;
        const std::optional<Quant> q = demanded(value);
        changed = changed || !q || !(it->second == *q);
        if (q)
          it->second = *q;
        else
          u8_.erase(it);
      }
      for (const std::string& value : order) {
        auto it = u8_.find(value);
        if (it != u8_.end() && !producer_can_write(value, it->second)) {
          u8_.erase(it);
          changed = true;
        }
      }
    }
    return u8_;
  }

private:
  // The one quantization every reader of `value` reads it with, or nullopt.
  std::optional<Quant> demanded(const std::string& value) const {
    auto it = readers_.find(value);
    if (it == readers_.end()) return std::nullopt; // unread: nothing to win
    std::optional<Quant> q;
    for (std::size_t r : it->second) {
      const Node& reader = graph_.nodes[r];
      std::optional<Quant> wants;
      if (is_qconv(reader)) {
        // x only: a residual Sum or the weights read floats.
        for (std::size_t i = 1; i < reader.inputs.size(); ++i) {
          if (reader.inputs[i] == value) return std::nullopt;
        }
        wants = qconv_source_quant(reader);
      } else if (is_onnx_op(reader, "Concat") || (is_picker(reader) && reader.inputs[0] == value)) {
        auto out = u8_.find(reader.outputs[0]);
        if (out == u8_.end()) return std::nullopt;
        if (is_picker(reader)) {
          for (std::size_t i = 1; i < reader.inputs.size(); ++i) {
            if (reader.inputs[i] == value) return std::nullopt;
          }
        }
        wants = out->second;
      } else {
        return std::nullopt;
      }
      if (!q)
        q = wants;
      else if (!(*q == *wants))
        return std::nullopt;
    }
    return q;
  }

  // Pickers need their input in u8 with the same quantization; QConvs and
  // Concats quantize whatever they get.
  bool producer_can_write(const std::string& value, const Quant& q) const {
    const Node& producer = graph_.nodes[*graph_.producer_of(value)];
    if (!is_picker(producer)) return true;
    auto in = u8_.find(producer.inputs[0]);
    return in != u8_.end() && in->second == q;
  }

  const Graph& graph_;
  std::map<std::string, std::vector<std::size_t>> readers_;
  std::map<std::string, Quant> u8_;
};

} // namespace

Quant qconv_source_quant(const Node& qconv) {
  const bool s8 = qconv.attrs.get_string("x_type", "uint8") == "int8";
  return Quant{qconv.attrs.get_float("x_scale", 1.0f),
               static_cast<std::int32_t>(qconv.attrs.get_int("x_zero_point", 0)) + (s8 ? 128 : 0)};
}

std::map<std::string, Quant> plan_u8_values(const Graph& graph) { return Planner(graph).run(); }

} // namespace tilescope::engine::onednn
