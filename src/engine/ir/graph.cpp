#include "tilescope/engine/graph.h"

#include <algorithm>

namespace tilescope::engine {
namespace {

template <class T>
const T* get_typed(const std::map<std::string, AttrValue>& values, const std::string& name,
                   const char* type_name) {
  auto it = values.find(name);
  if (it == values.end()) return nullptr;
  const T* v = std::get_if<T>(&it->second);
  if (v == nullptr) throw Error("attribute '" + name + "' is not of type " + type_name);
  return v;
}

} // namespace

std::int64_t Attributes::get_int(const std::string& name, std::int64_t fallback) const {
  const auto* v = get_typed<std::int64_t>(values_, name, "int");
  return v ? *v : fallback;
}

std::int64_t Attributes::get_int(const std::string& name) const {
  const auto* v = get_typed<std::int64_t>(values_, name, "int");
  if (!v) throw Error("required attribute '" + name + "' is missing");
  return *v;
}

float Attributes::get_float(const std::string& name, float fallback) const {
  const auto* v = get_typed<float>(values_, name, "float");
  return v ? *v : fallback;
}

std::string Attributes::get_string(const std::string& name, const std::string& fallback) const {
  const auto* v = get_typed<std::string>(values_, name, "string");
  return v ? *v : fallback;
}

std::vector<std::int64_t> Attributes::get_ints(const std::string& name,
                                               std::vector<std::int64_t> fallback) const {
  const auto* v = get_typed<std::vector<std::int64_t>>(values_, name, "ints");
  return v ? *v : fallback;
}

std::vector<float> Attributes::get_floats(const std::string& name, std::vector<float> fallback) const {
  const auto* v = get_typed<std::vector<float>>(values_, name, "floats");
  return v ? *v : fallback;
}

std::vector<std::string> Attributes::get_strings(const std::string& name) const {
  const auto* v = get_typed<std::vector<std::string>>(values_, name, "strings");
  return v ? *v : std::vector<std::string>{};
}

const Tensor& Attributes::get_tensor(const std::string& name) const {
  const auto* v = get_typed<Tensor>(values_, name, "tensor");
  if (!v) throw Error("required attribute '" + name + "' is missing");
  return *v;
}

Attributes Attributes::clone() const {
  Attributes out;
  for (const auto& entry : values_) {
    const std::string& name = entry.first; // not a structured binding: clang 14 cannot capture those
    const AttrValue& value = entry.second;
    if (const auto* t = std::get_if<Tensor>(&value)) {
      out.set(name, t->clone());
    } else {
      std::visit(
          [&](const auto& v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (!std::is_same_v<V, Tensor>) out.set(name, v);
          },
          value);
    }
  }
  return out;
}

Node Node::clone() const {
  Node n;
  n.name = name;
  n.op_type = op_type;
  n.domain = domain;
  n.inputs = inputs;
  n.outputs = outputs;
  n.attrs = attrs.clone();
  n.fused_from = fused_from;
  return n;
}

Graph Graph::clone() const {
  Graph g;
  g.name = name;
  g.inputs = inputs;
  g.outputs = outputs;
  g.nodes.reserve(nodes.size());
  for (const auto& n : nodes)
    g.nodes.push_back(n.clone());
  for (const auto& [k, t] : initializers)
    g.initializers.emplace(k, t.clone());
  g.metadata = metadata;
  g.opset = opset;
  g.producer = producer;
  g.value_types = value_types;
  return g;
}

std::string Node::describe() const { return "node " + name + " (" + op_type + ")"; }

const Tensor* Graph::find_initializer(const std::string& value) const {
  auto it = initializers.find(value);
  return it == initializers.end() ? nullptr : &it->second;
}

const ValueType& Graph::type_of(const std::string& value) const {
  auto it = value_types.find(value);
  if (it == value_types.end()) throw Error("value '" + value + "' has no inferred type");
  return it->second;
}

std::optional<std::size_t> Graph::producer_of(const std::string& value) const {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto& outs = nodes[i].outputs;
    if (std::find(outs.begin(), outs.end(), value) != outs.end()) return i;
  }
  return std::nullopt;
}

std::size_t Graph::use_count(const std::string& value) const {
  std::size_t n = 0;
  for (const auto& node : nodes)
    n += std::count(node.inputs.begin(), node.inputs.end(), value);
  return n + (is_graph_output(value) ? 1 : 0);
}

bool Graph::is_graph_output(const std::string& value) const {
  return std::any_of(outputs.begin(), outputs.end(), [&](const ValueInfo& v) { return v.name == value; });
}

} // namespace tilescope::engine
