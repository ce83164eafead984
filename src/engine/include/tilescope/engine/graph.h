// Graph IR: typed values, nodes with named attributes, constant initializers.
//
// A Graph is what an importer (ONNX, TF.js) produces and what passes rewrite.
// Values are named by strings (ONNX convention); an empty input name marks an
// absent optional input. Nodes are kept in topological order.
#pragma once

#include "tilescope/engine/tensor.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tilescope::engine {

using AttrValue = std::variant<std::int64_t, float, std::string, std::vector<std::int64_t>,
                               std::vector<float>, std::vector<std::string>, Tensor>;

// Named node attributes with typed, defaulted getters. Getters throw Error naming
// the attribute when it holds a different type.
class Attributes {
public:
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  void set(const std::string& name, AttrValue value) { values_.insert_or_assign(name, std::move(value)); }
  void erase(const std::string& name) { values_.erase(name); }

  std::int64_t get_int(const std::string& name, std::int64_t fallback) const;
  std::int64_t get_int(const std::string& name) const; // required
  float get_float(const std::string& name, float fallback) const;
  std::string get_string(const std::string& name, const std::string& fallback) const;
  std::vector<std::int64_t> get_ints(const std::string& name, std::vector<std::int64_t> fallback = {}) const;
  std::vector<float> get_floats(const std::string& name, std::vector<float> fallback = {}) const;
  std::vector<std::string> get_strings(const std::string& name) const;
  const Tensor& get_tensor(const std::string& name) const; // required

  const std::map<std::string, AttrValue>& all() const { return values_; }
  Attributes clone() const;

private:
  std::map<std::string, AttrValue> values_;
};

struct Node {
  std::string name;                // unique within the graph (importers invent one when missing)
  std::string op_type;             // "Conv", "Relu", ...; fused ops live in domain "tilescope"
  std::string domain;              // "" for the default ONNX domain
  std::vector<std::string> inputs; // "" = absent optional input
  std::vector<std::string> outputs;
  Attributes attrs;
  // Names of the original nodes a fusion pass merged into this one (for
  // per-layer verification); empty for unfused nodes.
  std::vector<std::string> fused_from;

  // "node /model.22/Add (Add)" for error messages.
  std::string describe() const;
  bool has_input(std::size_t i) const { return i < inputs.size() && !inputs[i].empty(); }
  Node clone() const;
};

// A dimension of a graph input/output: a fixed size, or a named/anonymous
// dynamic one (value < 0).
struct Dim {
  std::int64_t value = -1;
  std::string symbol; // e.g. "batch", "height"; empty when anonymous
  bool is_static() const { return value >= 0; }
};

struct ValueInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  std::vector<Dim> dims;
  bool has_shape = false; // false when the model gave no shape at all
};

// Static type of a value after shape inference.
struct ValueType {
  DType dtype = DType::kUndefined;
  Shape shape;
};

struct Graph {
  std::string name;
  std::vector<ValueInfo> inputs; // real inputs only (initializers excluded)
  std::vector<ValueInfo> outputs;
  std::vector<Node> nodes; // topological order
  std::map<std::string, Tensor> initializers;
  std::map<std::string, std::string> metadata; // ONNX metadata_props, e.g. "names"
  std::int64_t opset = 0;                      // default-domain opset version
  std::string producer;                        // "pytorch 1.13.1", "tfjs", ...
  // Filled by passes::infer_shapes(): every value's static type.
  std::map<std::string, ValueType> value_types;

  Graph() = default;
  Graph(Graph&&) noexcept = default;
  Graph& operator=(Graph&&) noexcept = default;
  // Deep copy (initializers included).
  Graph clone() const;

  const Tensor* find_initializer(const std::string& name) const;
  const ValueType& type_of(const std::string& name) const; // throws if unknown
  // Index of the node producing `value`, or nullopt (graph input / initializer).
  std::optional<std::size_t> producer_of(const std::string& value) const;
  // Number of node inputs plus graph outputs reading `value`.
  std::size_t use_count(const std::string& value) const;
  bool is_graph_output(const std::string& value) const;
};

} // namespace tilescope::engine
