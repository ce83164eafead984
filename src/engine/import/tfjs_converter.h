// Internals of the TF.js importer (tfjs_importer.cpp): the TF node as read from
// model.json, its attributes, and the Converter that op lowerings
// (tfjs_ops.cpp) use to add nodes to the graph being built.
#pragma once

#include "tilescope/engine/graph.h"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace tilescope::engine::tfjs {

// The default-domain opset the lowered graph uses: 18 for Resize's and Pad's
// `axes`, which let a lowering name the spatial dims without knowing the rank.
constexpr std::int64_t kOpset = 18;

// Typed access to a TF node's "attr" object (TF AttrValue in proto3 JSON:
// {"i": "3"}, {"f": 0.1}, {"b": true}, {"s": <base64>}, {"type": "DT_FLOAT"},
// {"list": {"i": [...]}}). Getters throw Error naming the attribute.
class TfAttrs {
public:
  explicit TfAttrs(const nlohmann::json* attr) : attr_(attr) {}
  bool has(const std::string& name) const;
  std::int64_t get_int(const std::string& name, std::int64_t fallback) const;
  float get_float(const std::string& name, float fallback) const;
  bool get_bool(const std::string& name, bool fallback) const;
  std::string get_string(const std::string& name, const std::string& fallback) const; // base64-decoded
  std::vector<std::int64_t> get_ints(const std::string& name) const;                  // empty when absent
  std::vector<std::string> get_strings(const std::string& name) const;
  std::string get_type(const std::string& name, const std::string& fallback) const; // "DT_FLOAT"

private:
  const nlohmann::json* find(const std::string& name) const;
  const nlohmann::json* attr_;
};

// One TF node: data inputs as value names ("x" for port 0, "x:1"), control
// inputs ("^x") dropped.
struct TfNode {
  std::string name;
  std::string op;
  std::vector<std::string> inputs;
  TfAttrs attrs;

  [[noreturn]] void fail(const std::string& message) const; // "TF node NAME (Op): message"
};

// Builds the lowered graph. Names it invents are unique and derived from the TF
// node's name, so errors and per-layer reports still point at the TF graph.
class Converter {
public:
  explicit Converter(Graph& graph) : graph_(graph) {}

  Graph& graph() { return graph_; }
  // The load-time value of `value` (an initializer), or nullptr.
  const Tensor* constant(const std::string& value) const { return graph_.find_initializer(value); }
  // Like constant() but fails naming input i of `node` when it is not known at load time.
  const Tensor& require_constant(const TfNode& node, std::size_t i) const;
  // Input i of `node`; fails when the node has fewer inputs.
  const std::string& input(const TfNode& node, std::size_t i) const;

  // A value name not used yet: `base`, else "base_1", "base_2", ...
  std::string fresh_name(const std::string& base);
  // Adds an initializer named fresh_name(base); returns its name.
  std::string add_constant(const std::string& base, Tensor value);
  std::string add_ints(const std::string& base, const std::vector<std::int64_t>& values);
  // Adds a node named `node_name` (made unique among nodes) writing `output`
  // (a name from fresh_name() or the TF node's own value); returns `output`.
  std::string add_node(const std::string& op_type, const std::string& node_name,
                       std::vector<std::string> inputs, const std::string& output, Attributes attrs = {});
  // Same for a node with several outputs.
  void add_node(const std::string& op_type, const std::string& node_name, std::vector<std::string> inputs,
                std::vector<std::string> outputs, Attributes attrs = {});
  // Records a value name as taken (TF values, before any lowering runs).
  void reserve_name(const std::string& name) { names_.insert(name); }

  // Transpose `value` NHWC -> NCHW into a new value "<base>/nchw".
  std::string to_nchw(const std::string& value, const std::string& base);
  // Transpose NCHW -> NHWC into `output`.
  void to_nhwc(const std::string& value, const std::string& output, const std::string& node_name);

private:
  Graph& graph_;
  std::set<std::string> names_;      // value names in use
  std::set<std::string> node_names_; // node names in use
};

using OpLowering = void (*)(Converter&, const TfNode&);

// Every TF op the importer lowers, by TF op name (tfjs_ops.cpp). Const and
// Placeholder are handled by the importer itself.
const std::map<std::string, OpLowering>& op_lowerings();

// Rewrites after lowering (tfjs_simplify.cpp), repeated until nothing changes:
// Transpose pairs that cancel are removed (others merged into one), a constant
// per-channel Add after a Conv becomes the Conv's bias, a zero Pad before a Conv
// (or a -inf Pad before a MaxPool) becomes the window's pads, nodes whose inputs
// are all constant are evaluated, and unused nodes and initializers dropped.
void simplify(Graph& graph);

// Evaluates, with the reference kernels, every node whose inputs are all
// initializers (and whose outputs are not graph outputs).
void fold_constant_nodes(Graph& graph);

} // namespace tilescope::engine::tfjs
