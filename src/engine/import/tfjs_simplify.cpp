// Clean-up after lowering a TF.js graph (see simplify() in tfjs_converter.h).
//
// The lowering wraps every channels-last op in Transposes and keeps TF's
// separate bias Add and explicit Pad ops; left alone, a Conv would run between
// two layout copies with its bias and padding as extra passes over memory.
// These rewrites are local and exact (no arithmetic changes except folding a
// bias into the Conv, which oneDNN then adds in its epilogue).
#include "import/tfjs_converter.h"
#include "passes/passes.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tilescope::engine::tfjs {
namespace {

// Who produces and how many read each value (graph outputs count as readers).
struct Uses {
  std::map<std::string, std::size_t> producer;
  std::map<std::string, int> readers;

  explicit Uses(const Graph& graph) {
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      for (const std::string& out : graph.nodes[i].outputs)
        producer[out] = i;
      for (const std::string& in : graph.nodes[i].inputs)
        ++readers[in];
    }
    for (const ValueInfo& out : graph.outputs)
      ++readers[out.name];
  }
  Node* producer_of(Graph& graph, const std::string& value, const char* op_type) const {
    auto it = producer.find(value);
    if (it == producer.end() || graph.nodes[it->second].op_type != op_type) return nullptr;
    return &graph.nodes[it->second];
  }
  int readers_of(const std::string& value) const {
    auto it = readers.find(value);
    return it == readers.end() ? 0 : it->second;
  }
};

// Makes `node` pass `value` through unchanged: its readers read `value`
// directly, unless its output is a graph output (whose name must stay), in
// which case it becomes an Identity.
void bypass(Graph& graph, Node& node, const std::string& value) {
  const std::string out = node.outputs.at(0);
  if (graph.is_graph_output(out)) {
    node.op_type = "Identity";
    node.inputs = {value};
    node.attrs = Attributes();
    return;
  }
  for (Node& n : graph.nodes)
    std::replace(n.inputs.begin(), n.inputs.end(), out, value);
  node.outputs = {""}; // dead now; removed by remove_unused()
}

std::string unique_initializer_name(const Graph& graph, const std::string& base) {
  std::string name = base;
  for (int k = 1; graph.initializers.count(name) != 0 || graph.producer_of(name); ++k)
    name = base + "_" + std::to_string(k);
  return name;
}

std::vector<std::int64_t> perm_of(const Node& transpose) { return transpose.attrs.get_ints("perm"); }

bool is_identity_perm(const std::vector<std::int64_t>& perm) {
  for (std::size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<std::int64_t>(i)) return false;
  }
  return true;
}

// Transpose(Transpose(x, p), q) = Transpose(x, p[q[i]]); identity -> x.
bool merge_transposes(Graph& graph) {
  bool changed = false;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (graph.nodes[i].op_type != "Transpose" || graph.nodes[i].outputs[0].empty()) continue;
    const Uses uses(graph);
    Node& second = graph.nodes[i];
    if (Node* first = uses.producer_of(graph, second.inputs[0], "Transpose")) {
      const std::vector<std::int64_t> p = perm_of(*first), q = perm_of(second);
      if (p.size() != q.size() || p.empty()) continue;
      std::vector<std::int64_t> composed(q.size());
      for (std::size_t k = 0; k < q.size(); ++k)
        composed[k] = p[static_cast<std::size_t>(q[k])];
      second.inputs[0] = first->inputs[0];
      second.attrs.set("perm", composed);
      changed = true;
    }
    if (is_identity_perm(perm_of(second)) && !second.attrs.get_ints("perm").empty()) {
      bypass(graph, second, second.inputs[0]);
      changed = true;
    }
  }
  return changed;
}

// The single non-1 dim of `shape` holding `channels`, at position `axis` of a
// rank-`rank` right-aligned broadcast (so [C], [1,1,1,C] for axis 3 of rank 4).
bool is_channel_vector(const Shape& shape, std::int64_t channels, std::size_t axis, std::size_t rank) {
  if (shape.size() > rank) return false;
  const std::size_t offset = rank - shape.size();
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const std::size_t full = d + offset;
    if (shape[d] != (full == axis ? channels : 1)) return false;
  }
  return offset <= axis;
}

// Add(Conv(x), bias) and Add(Transpose_nchw_to_nhwc(Conv(x)), bias) with a
// constant per-output-channel bias: the bias moves into the Conv.
bool fold_bias_adds(Graph& graph) {
  bool changed = false;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (graph.nodes[i].op_type != "Add" || graph.nodes[i].outputs[0].empty()) continue;
    const Uses uses(graph);
    Node& add = graph.nodes[i];
    for (std::size_t side = 0; side < 2; ++side) {
      const Tensor* bias = graph.find_initializer(add.inputs[1 - side]);
      const std::string& value = add.inputs[side];
      if (bias == nullptr || bias->dtype() != DType::kFloat32 || uses.readers_of(value) != 1) continue;
      Node* transpose = uses.producer_of(graph, value, "Transpose");
      const bool nhwc = transpose != nullptr && perm_of(*transpose) == std::vector<std::int64_t>{0, 2, 3, 1};
      if (transpose != nullptr && (!nhwc || uses.readers_of(transpose->inputs[0]) != 1)) continue;
      Node* conv = uses.producer_of(graph, nhwc ? transpose->inputs[0] : value, "Conv");
      if (conv == nullptr) continue;
      const Tensor* weight = graph.find_initializer(conv->inputs.at(1));
      if (weight == nullptr || weight->rank() != 4) continue;
      const std::int64_t channels = weight->shape()[0];
      if (!is_channel_vector(bias->shape(), channels, nhwc ? 3 : 1, 4)) continue;

      Tensor merged(DType::kFloat32, Shape{channels});
      const Tensor* old = conv->has_input(2) ? graph.find_initializer(conv->inputs[2]) : nullptr;
      if (conv->has_input(2) && old == nullptr) continue; // a computed bias: leave it
      for (std::int64_t c = 0; c < channels; ++c) {
        merged.data<float>()[c] = bias->data<float>()[c] + (old ? old->data<float>()[c] : 0.0f);
      }
      const std::string name = unique_initializer_name(graph, conv->name + "/bias");
      graph.initializers.emplace(name, std::move(merged));
      conv->inputs.resize(3);
      conv->inputs[2] = name;
      if (nhwc) {
        // The Add now only changes the layout: it becomes the Transpose.
        add.op_type = "Transpose";
        add.inputs = {transpose->inputs[0]};
        add.attrs = transpose->attrs.clone();
      } else {
        bypass(graph, add, value);
      }
      changed = true;
      break;
    }
  }
  return changed;
}

// Pad(x) -> Conv / MaxPool: a constant spatial padding of 0 (Conv) or -inf
// (MaxPool, whose own pads never win a max) becomes the window's pads.
bool fold_pads(Graph& graph) {
  bool changed = false;
  for (Node& window : graph.nodes) {
    const bool conv = window.op_type == "Conv";
    if ((!conv && window.op_type != "MaxPool") || window.inputs.empty()) continue;
    if (window.attrs.get_string("auto_pad", "NOTSET") != "NOTSET" ||
        window.attrs.get_int("ceil_mode", 0) != 0)
      continue;
    const Uses uses(graph);
    Node* pad = uses.producer_of(graph, window.inputs[0], "Pad");
    if (pad == nullptr || uses.readers_of(window.inputs[0]) != 1 || pad->has_input(3)) continue;
    if (pad->attrs.get_string("mode", "constant") != "constant") continue;
    const Tensor* pads = pad->has_input(1) ? graph.find_initializer(pad->inputs[1]) : nullptr;
    if (pads == nullptr || pads->size() != 8) continue;
    const std::vector<std::int64_t> p = pads->to_int64_vector(); // [n, c, h, w] begins, then ends
    if (p[0] != 0 || p[1] != 0 || p[4] != 0 || p[5] != 0 || *std::min_element(p.begin(), p.end()) < 0)
      continue;
    const Tensor* value = pad->has_input(2) ? graph.find_initializer(pad->inputs[2]) : nullptr;
    if (pad->has_input(2) && (value == nullptr || value->size() != 1)) continue;
    const double fill = value ? value->get_as_double(0) : 0.0;
    if (conv ? fill != 0.0 : fill > -std::numeric_limits<float>::max()) continue;

    std::vector<std::int64_t> own = window.attrs.get_ints("pads", {0, 0, 0, 0});
    if (own.size() != 4) continue;
    const std::vector<std::int64_t> added = {p[2], p[3], p[6], p[7]}; // top, left, bottom, right
    for (std::size_t k = 0; k < 4; ++k)
      own[k] += added[k];
    if (!conv) {
      // A max window must still see one real element: pads smaller than the kernel.
      const std::vector<std::int64_t> kernel = window.attrs.get_ints("kernel_shape");
      if (kernel.size() != 2 || own[0] >= kernel[0] || own[2] >= kernel[0] || own[1] >= kernel[1] ||
          own[3] >= kernel[1]) {
        continue;
      }
    }
    window.attrs.set("pads", own);
    window.inputs[0] = pad->inputs[0];
    changed = true;
  }
  return changed;
}

// Drops nodes nobody reads (last to first, so chains go at once) and unused initializers.
bool remove_unused(Graph& graph) {
  std::map<std::string, int> readers;
  for (const Node& n : graph.nodes) {
    for (const std::string& in : n.inputs)
      ++readers[in];
  }
  for (const ValueInfo& out : graph.outputs)
    ++readers[out.name];
  bool changed = false;
  std::vector<bool> keep(graph.nodes.size(), true);
  for (std::size_t i = graph.nodes.size(); i-- > 0;) {
    const Node& n = graph.nodes[i];
    if (std::any_of(n.outputs.begin(), n.outputs.end(),
                    [&](const std::string& o) { return !o.empty() && readers[o] > 0; })) {
      continue;
    }
    keep[i] = false;
    changed = true;
    for (const std::string& in : n.inputs)
      --readers[in];
  }
  std::vector<Node> kept;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (keep[i]) kept.push_back(std::move(graph.nodes[i]));
  }
  graph.nodes = std::move(kept);
  for (auto it = graph.initializers.begin(); it != graph.initializers.end();) {
    it = readers[it->first] > 0 ? std::next(it) : graph.initializers.erase(it);
  }
  return changed;
}

} // namespace

void fold_constant_nodes(Graph& graph) {
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (Node& node : graph.nodes) {
    const bool constant_inputs =
        std::all_of(node.inputs.begin(), node.inputs.end(), [&](const std::string& in) {
          return in.empty() || graph.find_initializer(in) != nullptr;
        });
    const bool output = std::any_of(node.outputs.begin(), node.outputs.end(),
                                    [&](const std::string& o) { return graph.is_graph_output(o); });
    if (!constant_inputs || output) {
      kept.push_back(std::move(node));
      continue;
    }
    // The pass evaluates a one-node graph holding copies of the inputs.
    Graph one;
    one.opset = graph.opset;
    for (const std::string& in : node.inputs) {
      if (!in.empty()) one.initializers.insert_or_assign(in, graph.find_initializer(in)->clone());
    }
    one.nodes.push_back(node.clone());
    passes::fold_constants(one);
    if (!one.nodes.empty()) { // not evaluable after all (the pass keeps such nodes)
      kept.push_back(std::move(node));
      continue;
    }
    for (const std::string& out : node.outputs) {
      if (!out.empty()) graph.initializers.insert_or_assign(out, std::move(one.initializers.at(out)));
    }
  }
  graph.nodes = std::move(kept);
}

void simplify(Graph& graph) {
  for (bool changed = true; changed;) {
    fold_constant_nodes(graph);
    changed = merge_transposes(graph);
    changed |= remove_unused(graph);
    changed |= fold_bias_adds(graph);
    changed |= fold_pads(graph);
    changed |= remove_unused(graph);
  }
}

} // namespace tilescope::engine::tfjs
