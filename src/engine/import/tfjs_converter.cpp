#include "import/tfjs_converter.h"

#include <algorithm>
#include <array>
#include <limits>

namespace tilescope::engine::tfjs {
namespace {

// proto3 JSON writes bytes fields (AttrValue.s) in standard base64.
std::string base64_decode(const std::string& in) {
  static const std::array<int, 256> table = [] {
    std::array<int, 256> t{};
    t.fill(-1);
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < alphabet.size(); ++i)
      t[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
    t['-'] = 62; // the URL-safe alphabet, accepted by proto3 JSON parsers too
    t['_'] = 63;
    return t;
  }();
  std::string out;
  std::uint32_t bits = 0;
  int nbits = 0;
  for (char c : in) {
    const int v = table[static_cast<unsigned char>(c)];
    if (v < 0) continue; // '=' padding, whitespace
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out.push_back(static_cast<char>((bits >> nbits) & 0xffu));
    }
  }
  return out;
}

std::int64_t json_int(const nlohmann::json& j, const std::string& name) {
  // proto3 JSON writes int64 as a string.
  if (j.is_string()) {
    try {
      return std::stoll(j.get<std::string>());
    } catch (const std::exception&) {
      throw Error("attribute '" + name + "': '" + j.get<std::string>() + "' is not an integer");
    }
  }
  if (!j.is_number_integer()) throw Error("attribute '" + name + "': " + j.dump() + " is not an integer");
  return j.get<std::int64_t>();
}

} // namespace

const nlohmann::json* TfAttrs::find(const std::string& name) const {
  if (attr_ == nullptr || !attr_->is_object()) return nullptr;
  auto it = attr_->find(name);
  return it == attr_->end() ? nullptr : &*it;
}

bool TfAttrs::has(const std::string& name) const { return find(name) != nullptr; }

std::int64_t TfAttrs::get_int(const std::string& name, std::int64_t fallback) const {
  const nlohmann::json* a = find(name);
  return a != nullptr && a->contains("i") ? json_int(a->at("i"), name) : fallback;
}

float TfAttrs::get_float(const std::string& name, float fallback) const {
  const nlohmann::json* a = find(name);
  if (a == nullptr || !a->contains("f")) return fallback;
  const nlohmann::json& f = a->at("f");
  // Non-finite floats are strings in proto3 JSON.
  if (f.is_string()) {
    const std::string s = f.get<std::string>();
    if (s == "NaN") return std::numeric_limits<float>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<float>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<float>::infinity();
    throw Error("attribute '" + name + "': '" + s + "' is not a number");
  }
  return f.get<float>();
}

bool TfAttrs::get_bool(const std::string& name, bool fallback) const {
  const nlohmann::json* a = find(name);
  return a != nullptr && a->contains("b") ? a->at("b").get<bool>() : fallback;
}

std::string TfAttrs::get_string(const std::string& name, const std::string& fallback) const {
  const nlohmann::json* a = find(name);
  return a != nullptr && a->contains("s") ? base64_decode(a->at("s").get<std::string>()) : fallback;
}

std::vector<std::int64_t> TfAttrs::get_ints(const std::string& name) const {
  std::vector<std::int64_t> values;
  const nlohmann::json* a = find(name);
  if (a == nullptr || !a->contains("list")) return values;
  for (const nlohmann::json& v : a->at("list").value("i", nlohmann::json::array()))
    values.push_back(json_int(v, name));
  return values;
}

std::vector<std::string> TfAttrs::get_strings(const std::string& name) const {
  std::vector<std::string> values;
  const nlohmann::json* a = find(name);
  if (a == nullptr || !a->contains("list")) return values;
  for (const nlohmann::json& v : a->at("list").value("s", nlohmann::json::array())) {
    values.push_back(base64_decode(v.get<std::string>()));
  }
  return values;
}

std::string TfAttrs::get_type(const std::string& name, const std::string& fallback) const {
  const nlohmann::json* a = find(name);
  return a != nullptr && a->contains("type") ? a->at("type").get<std::string>() : fallback;
}

void TfNode::fail(const std::string& message) const {
  throw Error("TF node " + name + " (" + op + "): " + message);
}

const Tensor& Converter::require_constant(const TfNode& node, std::size_t i) const {
  const Tensor* t = constant(input(node, i));
  if (t == nullptr)
    node.fail("input " + std::to_string(i) + " ('" + node.inputs[i] + "') must be a constant");
  return *t;
}

const std::string& Converter::input(const TfNode& node, std::size_t i) const {
  if (i >= node.inputs.size()) {
    node.fail("has " + std::to_string(node.inputs.size()) + " inputs, expected at least " +
              std::to_string(i + 1));
  }
  return node.inputs[i];
}

std::string Converter::fresh_name(const std::string& base) {
  std::string name = base;
  for (int k = 1; names_.count(name) != 0; ++k)
    name = base + "_" + std::to_string(k);
  names_.insert(name);
  return name;
}

std::string Converter::add_constant(const std::string& base, Tensor value) {
  std::string name = fresh_name(base);
  graph_.initializers.emplace(name, std::move(value));
  return name;
}

std::string Converter::add_ints(const std::string& base, const std::vector<std::int64_t>& values) {
  return add_constant(base,
                      Tensor::from<std::int64_t>(Shape{static_cast<std::int64_t>(values.size())}, values));
}

std::string Converter::add_node(const std::string& op_type, const std::string& node_name,
                                std::vector<std::string> inputs, const std::string& output,
                                Attributes attrs) {
  add_node(op_type, node_name, std::move(inputs), std::vector<std::string>{output}, std::move(attrs));
  return output;
}

void Converter::add_node(const std::string& op_type, const std::string& node_name,
                         std::vector<std::string> inputs, std::vector<std::string> outputs,
                         Attributes attrs) {
  Node node;
  // The node lowering TF node "x" is named "x" (then "x_1", ... for the others).
  node.name = node_name;
  for (int k = 1; node_names_.count(node.name) != 0; ++k)
    node.name = node_name + "_" + std::to_string(k);
  node_names_.insert(node.name);
  node.op_type = op_type;
  node.inputs = std::move(inputs);
  node.outputs = std::move(outputs);
  node.attrs = std::move(attrs);
  graph_.nodes.push_back(std::move(node));
}

std::string Converter::to_nchw(const std::string& value, const std::string& base) {
  Attributes attrs;
  attrs.set("perm", std::vector<std::int64_t>{0, 3, 1, 2});
  const std::string out = fresh_name(base + "/nchw");
  return add_node("Transpose", base + "/to_nchw", {value}, out, std::move(attrs));
}

void Converter::to_nhwc(const std::string& value, const std::string& output, const std::string& node_name) {
  Attributes attrs;
  attrs.set("perm", std::vector<std::int64_t>{0, 2, 3, 1});
  add_node("Transpose", node_name, {value}, output, std::move(attrs));
}

} // namespace tilescope::engine::tfjs
