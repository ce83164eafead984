// TF.js graph model (model.json + weight shards) -> graph IR.
//
// model.json holds a TF GraphDef in proto3 JSON (modelTopology.node), a
// signature naming the inputs and outputs, and a weightsManifest: groups of
// shard files which, concatenated in order, hold every Const's value one after
// the other (tfjs-core io_utils decodeWeights is the specification followed
// here, quantization included). Everything read is untrusted: sizes are checked
// before anything is allocated and every failure is a tilescope::Error naming
// the file.
#include "import/tfjs_converter.h"
#include "tilescope/engine/tfjs_import.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <queue>
#include <string_view>
#include <unordered_map>

namespace tilescope::engine {
namespace {

static_assert(std::endian::native == std::endian::little, "TF.js weights are little-endian");

using nlohmann::json;
using tfjs::TfAttrs;
using tfjs::TfNode;

class Context {
public:
  explicit Context(std::string source) : source_(std::move(source)) {}
  [[noreturn]] void fail(const std::string& message) const { throw Error(source_ + ": " + message); }
  const std::string& source() const { return source_; }

private:
  std::string source_;
};

// IEEE half -> float, exact (subnormals included), as tfjs-core's float16 decoder.
float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu;
  const std::uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13)); // inf / nan
  if (exponent != 0) return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
  // Zero or subnormal: mantissa * 2^-24, exactly representable in float.
  const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  return sign != 0 ? -magnitude : magnitude;
}

// --- weights -----------------------------------------------------------------

struct WeightSpec {
  std::string name;
  Shape shape;
  std::string dtype;        // float32 | int32 | bool
  std::string quantization; // "" | float16 | uint8 | uint16
  double scale = 1.0;       // uint8/uint16: value = q * scale + min
  double min = 0.0;
};

Shape parse_shape(const json& j, const std::string& what, const Context& ctx) {
  if (!j.is_array()) ctx.fail(what + ": 'shape' is not an array");
  Shape shape;
  for (const json& d : j) {
    if (!d.is_number_integer() || d.get<std::int64_t>() < 0) ctx.fail(what + ": bad dimension " + d.dump());
    shape.push_back(d.get<std::int64_t>());
  }
  return shape;
}

std::vector<WeightSpec> parse_manifest(const json& model, const Context& ctx) {
  std::vector<WeightSpec> specs;
  const auto it = model.find("weightsManifest");
  if (it == model.end()) return specs;
  if (!it->is_array()) ctx.fail("'weightsManifest' is not an array");
  for (const json& group : *it) {
    for (const json& w : group.value("weights", json::array())) {
      WeightSpec s;
      s.name = w.value("name", "");
      const std::string what = "weight '" + s.name + "'";
      if (s.name.empty()) ctx.fail("a weight in the manifest has no name");
      s.shape = parse_shape(w.value("shape", json::array()), what, ctx);
      s.dtype = w.value("dtype", "");
      if (s.dtype != "float32" && s.dtype != "int32" && s.dtype != "bool") {
        ctx.fail(what + ": data type '" + s.dtype + "' is not supported (float32, int32, bool)");
      }
      if (const auto q = w.find("quantization"); q != w.end()) {
        s.quantization = q->value("dtype", "");
        if (s.quantization == "uint8" || s.quantization == "uint16") {
          if (!q->contains("scale") || !q->contains("min"))
            ctx.fail(what + ": " + s.quantization + " quantization without scale and min");
          s.scale = q->at("scale").get<double>();
          s.min = q->at("min").get<double>();
          if (s.dtype == "bool") ctx.fail(what + ": bool weights cannot be quantized");
        } else if (s.quantization == "float16") {
          if (s.dtype != "float32") ctx.fail(what + ": float16 quantization of a " + s.dtype + " weight");
        } else {
          ctx.fail(what + ": quantization '" + s.quantization +
                   "' is not supported (float16, uint8, uint16)");
        }
      }
      specs.push_back(std::move(s));
    }
  }
  return specs;
}

std::size_t stored_bytes(const WeightSpec& s, std::int64_t count) {
  const std::size_t elem = s.quantization == "uint8"                                   ? 1
                           : s.quantization == "uint16" || s.quantization == "float16" ? 2
                           : s.dtype == "bool"                                         ? 1
                                                                                       : 4;
  return static_cast<std::size_t>(count) * elem;
}

// Elements of `shape`, or -1 when absurdly large (more than 2^40).
std::int64_t checked_count(const Shape& shape) {
  std::int64_t count = 1;
  for (std::int64_t d : shape) {
    if (__builtin_mul_overflow(count, d, &count) || count > (std::int64_t{1} << 40)) return -1;
  }
  return count;
}

// Bytes the whole manifest needs, for error messages (absurd shapes count as 0).
std::size_t total_bytes(const std::vector<WeightSpec>& specs) {
  std::size_t total = 0;
  for (const WeightSpec& s : specs)
    total += stored_bytes(s, std::max<std::int64_t>(checked_count(s.shape), 0));
  return total;
}

// Reads one stored element of a quantized weight as its quantized integer.
template <class Q> Q load_quantized(const std::byte* p, std::int64_t i) {
  Q q;
  std::memcpy(&q, p + static_cast<std::size_t>(i) * sizeof(Q), sizeof(Q));
  return q;
}

Tensor decode_weight(const WeightSpec& s, std::int64_t count, const std::byte* p) {
  const DType dtype = s.dtype == "float32" ? DType::kFloat32
                      : s.dtype == "int32" ? DType::kInt32
                                           : DType::kBool;
  Tensor t(dtype, s.shape);
  if (s.quantization.empty()) {
    if (dtype == DType::kBool) {
      bool* dst = t.data<bool>();
      for (std::int64_t i = 0; i < count; ++i)
        dst[i] = p[i] != std::byte{0};
    } else {
      std::memcpy(t.raw(), p, t.nbytes());
    }
    return t;
  }
  if (s.quantization == "float16") {
    float* dst = t.data<float>();
    for (std::int64_t i = 0; i < count; ++i)
      dst[i] = half_to_float(load_quantized<std::uint16_t>(p, i));
    return t;
  }
  // Affine: q * scale + min in double (as JavaScript computes it), then stored;
  // int32 weights round half up like Math.round.
  auto dequantize = [&](std::int64_t i) {
    const double q =
        s.quantization == "uint8" ? load_quantized<std::uint8_t>(p, i) : load_quantized<std::uint16_t>(p, i);
    return q * s.scale + s.min;
  };
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, std::int32_t>) {
      T* dst = t.data<T>();
      for (std::int64_t i = 0; i < count; ++i) {
        dst[i] = std::is_same_v<T, float> ? static_cast<T>(dequantize(i))
                                          : static_cast<T>(std::floor(dequantize(i) + 0.5));
      }
    }
  });
  return t;
}

// `files` describes where the bytes came from, for the error message.
std::map<std::string, Tensor> decode_weights(const std::vector<WeightSpec>& specs,
                                             std::span<const std::byte> bytes, const std::string& files,
                                             const Context& ctx) {
  std::map<std::string, Tensor> weights;
  std::size_t offset = 0;
  for (const WeightSpec& s : specs) {
    const std::int64_t count = checked_count(s.shape);
    if (count < 0) ctx.fail("weight '" + s.name + "': shape " + shape_str(s.shape) + " is too large");
    const std::size_t size = stored_bytes(s, count);
    if (offset + size > bytes.size()) {
      ctx.fail("the weights (" + files + ") hold " + std::to_string(bytes.size()) +
               " bytes, but the manifest needs " + std::to_string(total_bytes(specs)) + ": weight '" +
               s.name + "' " + shape_str(s.shape) + " is at bytes " + std::to_string(offset) + "-" +
               std::to_string(offset + size) + " (truncated or wrong weight file?)");
    }
    if (!weights.emplace(s.name, decode_weight(s, count, bytes.data() + offset)).second) {
      ctx.fail("weight '" + s.name + "' appears twice in the manifest");
    }
    offset += size;
  }
  return weights;
}

// --- graph topology -------------------------------------------------------------

// "x:0" -> "x"; "x:2" stays. The node a value comes from is the part before ':'.
std::string value_name(const std::string& ref) {
  return ref.size() > 2 && ref.compare(ref.size() - 2, 2, ":0") == 0 ? ref.substr(0, ref.size() - 2) : ref;
}
std::string producer_name(const std::string& value) { return value.substr(0, value.find(':')); }

DType tf_dtype(const std::string& type, const std::string& what, const Context& ctx) {
  if (type == "DT_FLOAT") return DType::kFloat32;
  // TF.js has no 64-bit integers: it holds DT_INT64 values as int32.
  if (type == "DT_INT32" || type == "DT_INT64") return DType::kInt32;
  if (type == "DT_BOOL") return DType::kBool;
  ctx.fail(what + ": data type " + type + " is not supported (DT_FLOAT, DT_INT32, DT_INT64, DT_BOOL)");
}

// TensorShapeProto JSON: {"dim": [{"size": "1"}, {"size": "-1"}]} or {"unknownRank": true}.
std::vector<Dim> tf_dims(const json& shape, bool* has_shape) {
  std::vector<Dim> dims;
  *has_shape = shape.is_object() && !shape.value("unknownRank", false);
  if (!*has_shape) return dims;
  for (const json& d : shape.value("dim", json::array())) {
    const json size = d.value("size", json("-1"));
    std::int64_t v = -1;
    if (size.is_string()) {
      const std::string text = size.get<std::string>();
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size())
        throw Error("bad dimension size '" + text + "'");
    } else {
      v = size.get<std::int64_t>();
    }
    dims.push_back(Dim{v < 0 ? -1 : v, d.value("name", "")});
  }
  return dims;
}

// "Identity_2" < "Identity_10": digit runs compare as numbers.
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie])))
        ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je])))
        ++je;
      const std::string da = a.substr(i, ie - i), db = b.substr(j, je - j);
      const std::size_t za = da.find_first_not_of('0'), zb = db.find_first_not_of('0');
      const std::string na = za == std::string::npos ? "" : da.substr(za),
                        nb = zb == std::string::npos ? "" : db.substr(zb);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

// Signature inputs/outputs ({"name:0": {"name": "name:0", "dtype": ..., "tensorShape": ...}}) as ValueInfos.
std::vector<ValueInfo> signature_values(const json& signature, const char* key, const Context& ctx) {
  std::vector<ValueInfo> values;
  if (!signature.is_object() || !signature.contains(key)) return values;
  for (const auto& [ref, info] : signature.at(key).items()) {
    ValueInfo v;
    v.name = value_name(info.value("name", ref));
    v.dtype =
        tf_dtype(info.value("dtype", "DT_FLOAT"), std::string("signature ") + key + " '" + v.name + "'", ctx);
    v.dims = tf_dims(info.value("tensorShape", json()), &v.has_shape);
    values.push_back(std::move(v));
  }
  std::sort(values.begin(), values.end(),
            [](const ValueInfo& a, const ValueInfo& b) { return natural_less(a.name, b.name); });
  return values;
}

// Orders the lowered nodes so each follows its inputs' producers (Kahn, lowest
// index first, so an already sorted file keeps its order).
std::vector<const TfNode*> topological_order(const std::vector<TfNode>& nodes, const Context& ctx) {
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    index.emplace(nodes[i].name, i);
  std::vector<std::vector<std::size_t>> consumers(nodes.size());
  std::vector<std::size_t> pending(nodes.size(), 0);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& in : nodes[i].inputs) {
      auto it = index.find(producer_name(in));
      if (it == index.end()) continue; // a Const or Placeholder, checked by the importer
      consumers[it->second].push_back(i);
      ++pending[i];
    }
  }
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<const TfNode*> order;
  while (!ready.empty()) {
    const std::size_t i = ready.top();
    ready.pop();
    order.push_back(&nodes[i]);
    for (std::size_t c : consumers[i]) {
      if (--pending[c] == 0) ready.push(c);
    }
  }
  if (order.size() != nodes.size()) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (pending[i] != 0) ctx.fail("TF node " + nodes[i].name + ": the graph has a cycle through this node");
    }
  }
  return order;
}

// "Foo (2 nodes: a, b); Bar (1 node: c)"
std::string list_unsupported(const std::map<std::string, std::vector<std::string>>& missing) {
  std::string text;
  for (const auto& [op, names] : missing) {
    if (!text.empty()) text += "; ";
    text += op + " (" + std::to_string(names.size()) + (names.size() == 1 ? " node: " : " nodes: ");
    for (std::size_t i = 0; i < names.size() && i < 5; ++i)
      text += (i ? ", " : "") + names[i];
    if (names.size() > 5) text += ", ...";
    text += ")";
  }
  return text;
}

Graph convert(const json& model, std::span<const std::byte> weight_bytes, const std::string& weight_files,
              const Context& ctx) {
  if (!model.is_object()) ctx.fail("not a TF.js model (the JSON is not an object)");
  const std::string format = model.value("format", "graph-model");
  if (format != "graph-model") ctx.fail("format '" + format + "' is not supported (only TF.js graph models)");
  const json& topology = model.value("modelTopology", json());
  if (!topology.is_object() || !topology.contains("node") || !topology.at("node").is_array()) {
    ctx.fail("not a TF.js graph model (no modelTopology.node list)");
  }
  if (topology.contains("library") && !topology.at("library").value("function", json::array()).empty()) {
    ctx.fail("the model uses TF functions (control flow), which are not supported");
  }

  std::map<std::string, Tensor> weights =
      decode_weights(parse_manifest(model, ctx), weight_bytes, weight_files, ctx);

  Graph graph;
  graph.opset = tfjs::kOpset;
  graph.producer = "tfjs";
  graph.name = model.value("generatedBy", "");
  for (const char* key : {"generatedBy", "convertedBy"}) {
    if (model.contains(key) && model.at(key).is_string())
      graph.metadata[key] = model.at(key).get<std::string>();
  }
  tfjs::Converter converter(graph);

  std::vector<TfNode> ops; // everything but Const and Placeholder
  std::map<std::string, ValueInfo> placeholders;
  std::set<std::string> defined;
  for (const json& n : topology.at("node")) {
    TfNode node{
        n.value("name", ""), n.value("op", ""), {}, TfAttrs(n.contains("attr") ? &n.at("attr") : nullptr)};
    if (node.name.empty() || node.op.empty())
      ctx.fail("a node has no name or no op: " + n.dump().substr(0, 200));
    if (!defined.insert(node.name).second) ctx.fail("TF node " + node.name + " is defined twice");
    for (const json& in : n.value("input", json::array())) {
      const std::string ref = in.get<std::string>();
      if (!ref.empty() && ref[0] != '^') node.inputs.push_back(value_name(ref));
    }
    converter.reserve_name(node.name);
    if (node.op == "Const") {
      auto it = weights.find(node.name);
      if (it == weights.end())
        ctx.fail("TF node " + node.name + " (Const): no value in the weights manifest");
      graph.initializers.emplace(node.name, std::move(it->second));
      weights.erase(it);
    } else if (node.op == "Placeholder") {
      ValueInfo in;
      in.name = node.name;
      in.dtype = tf_dtype(node.attrs.get_type("dtype", "DT_FLOAT"), "Placeholder " + node.name, ctx);
      if (n.contains("attr") && n.at("attr").contains("shape"))
        in.dims = tf_dims(n.at("attr").at("shape").value("shape", json()), &in.has_shape);
      placeholders.emplace(in.name, in);
    } else {
      ops.push_back(std::move(node));
    }
  }

  // Inputs: the signature's, with the Placeholder's shape when the signature has none.
  graph.inputs = signature_values(model.value("signature", json()), "inputs", ctx);
  if (graph.inputs.empty()) {
    for (const auto& [name, info] : placeholders)
      graph.inputs.push_back(info);
    std::sort(graph.inputs.begin(), graph.inputs.end(),
              [](const ValueInfo& a, const ValueInfo& b) { return natural_less(a.name, b.name); });
  }
  for (ValueInfo& in : graph.inputs) {
    auto it = placeholders.find(in.name);
    if (it == placeholders.end())
      ctx.fail("signature input '" + in.name + "' is not a Placeholder of the graph");
    if (!in.has_shape) in = it->second;
  }

  std::map<std::string, std::vector<std::string>> missing;
  for (const TfNode& node : ops) {
    if (tfjs::op_lowerings().count(node.op) == 0) missing[node.op].push_back(node.name);
    for (const std::string& in : node.inputs) {
      if (defined.count(producer_name(in)) == 0) {
        ctx.fail("TF node " + node.name + " (" + node.op + "): input '" + in +
                 "' is not defined in the graph");
      }
    }
  }
  if (!missing.empty()) {
    ctx.fail("TF op" + std::string(missing.size() > 1 ? "s" : "") +
             " not supported: " + list_unsupported(missing));
  }

  const std::vector<const TfNode*> order = topological_order(ops, ctx);
  for (const TfNode* node : order)
    tfjs::op_lowerings().at(node->op)(converter, *node);

  graph.outputs = signature_values(model.value("signature", json()), "outputs", ctx);
  if (graph.outputs.empty()) {
    // No signature: every value of a TF node that no node reads.
    std::set<std::string> read;
    for (const TfNode& node : ops) {
      for (const std::string& in : node.inputs)
        read.insert(producer_name(in));
    }
    for (const TfNode& node : ops) {
      if (read.count(node.name) == 0)
        graph.outputs.push_back(ValueInfo{node.name, DType::kUndefined, {}, false});
    }
    std::sort(graph.outputs.begin(), graph.outputs.end(),
              [](const ValueInfo& a, const ValueInfo& b) { return natural_less(a.name, b.name); });
  }
  if (graph.outputs.empty()) ctx.fail("the graph has no outputs");
  for (const ValueInfo& out : graph.outputs) {
    if (!graph.producer_of(out.name) && graph.find_initializer(out.name) == nullptr) {
      ctx.fail("output '" + out.name + "' is not produced by any node");
    }
  }
  tfjs::simplify(graph);
  return graph;
}

// Runs `fn`, turning JSON type errors (a field of the wrong kind) and errors
// raised without the file's name into errors that start with it.
template <class F> auto with_source(const Context& ctx, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const json::exception& e) {
    ctx.fail(std::string("malformed model.json: ") + e.what());
  } catch (const Error& e) {
    if (std::string_view(e.what()).starts_with(ctx.source() + ": ")) throw;
    ctx.fail(e.what());
  }
}

json parse_json(const std::string& text, const Context& ctx) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    ctx.fail(std::string("not valid JSON: ") + e.what());
  }
}

std::string read_text(const std::filesystem::path& path, const Context& ctx) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ctx.fail("cannot open the file: " + std::string(std::strerror(errno)));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

} // namespace

Graph parse_tfjs(const std::string& model_json, std::span<const std::byte> weights,
                 const std::string& source_name) {
  const Context ctx(source_name);
  const json model = parse_json(model_json, ctx);
  return with_source(ctx, [&] { return convert(model, weights, "given in memory", ctx); });
}

Graph load_tfjs(const std::string& model_json_path) {
  namespace fs = std::filesystem;
  const Context ctx(model_json_path);
  std::error_code ec;
  if (!fs::exists(model_json_path, ec)) ctx.fail("no such file");
  if (fs::is_directory(model_json_path, ec)) ctx.fail("is a directory, not a TF.js model.json");
  const json model = parse_json(read_text(model_json_path, ctx), ctx);

  // The shards of every manifest group, concatenated in order (as tfjs-core does).
  std::vector<std::byte> weights;
  std::string files; // "a.bin 123 bytes, b.bin 45 bytes"
  try {
    const fs::path dir = fs::path(model_json_path).parent_path();
    for (const json& group : model.value("weightsManifest", json::array())) {
      for (const json& p : group.value("paths", json::array())) {
        const fs::path shard = dir / p.get<std::string>();
        const Context shard_ctx(shard.string());
        if (!fs::is_regular_file(shard, ec))
          shard_ctx.fail("weight file named by " + model_json_path + " is missing");
        const std::string bytes = read_text(shard, shard_ctx);
        const auto* begin = reinterpret_cast<const std::byte*>(bytes.data());
        weights.insert(weights.end(), begin, begin + bytes.size());
        files += (files.empty() ? "" : ", ") + shard.filename().string() + " " +
                 std::to_string(bytes.size()) + " bytes";
      }
    }
  } catch (const json::exception& e) {
    ctx.fail(std::string("malformed weightsManifest: ") + e.what());
  }
  return with_source(ctx,
                     [&] { return convert(model, weights, files.empty() ? "no weight files" : files, ctx); });
}

} // namespace tilescope::engine
