// ONNX protobuf -> graph IR.
//
// Everything read from the file is untrusted: sizes are checked against the
// bytes actually present before anything is allocated, and every failure is a
// tilescope::Error "<file>: <what>: <why>" (the fuzz target in fuzz/ holds us
// to that).
#include "onnx/onnx.pb.h"
#include "tilescope/engine/onnx_import.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <google/protobuf/io/coded_stream.h>
#include <limits>
#include <queue>
#include <set>
#include <unordered_map>

namespace tilescope::engine {
namespace {

// raw_data is little-endian by spec; we copy it as is.
static_assert(std::endian::native == std::endian::little, "the ONNX importer assumes a little-endian host");

// Opsets the importer accepts. The runtime is specified for 11-19; 7-10 are let
// in so the ONNX node tests of older opsets load. Below 7, Add/Mul/... broadcast
// by `broadcast`/`axis` attributes instead of numpy rules, which our kernels
// would silently compute differently.
constexpr std::int64_t kMinOpset = 7;
constexpr std::int64_t kMaxOpset = 19;

// protobuf's wire format cannot address more than 2 GiB in one message.
constexpr std::size_t kMaxMessageBytes = INT_MAX;

using onnx::AttributeProto;
using onnx::TensorProto;

// Where we are, for error messages: "model.onnx: initializer 'W': ...".
class Context {
public:
  explicit Context(const std::string& source) : source_(source) {}
  [[noreturn]] void fail(const std::string& message) const { throw Error(source_ + ": " + message); }

private:
  const std::string& source_;
};

std::string onnx_type_name(std::int32_t type) {
  if (TensorProto::DataType_IsValid(type))
    return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(type));
  return "data type " + std::to_string(type);
}

// The DType an ONNX element type is stored as, or kUndefined when we have none.
// FLOAT16 tensors are widened to float32 on import (see convert_tensor).
DType stored_dtype(std::int32_t type) {
  switch (type) {
  case TensorProto::FLOAT: return DType::kFloat32;
  case TensorProto::FLOAT16: return DType::kFloat32;
  case TensorProto::DOUBLE: return DType::kFloat64;
  case TensorProto::INT64: return DType::kInt64;
  case TensorProto::INT32: return DType::kInt32;
  case TensorProto::INT8: return DType::kInt8;
  case TensorProto::UINT8: return DType::kUInt8;
  case TensorProto::BOOL: return DType::kBool;
  default: return DType::kUndefined;
  }
}

// Bytes of one element in raw_data.
std::size_t onnx_element_bytes(std::int32_t type) {
  return type == TensorProto::FLOAT16 ? 2 : dtype_size(stored_dtype(type));
}

constexpr const char* kSupportedTypes =
    "float32, float64, float16 (as float32), int64, int32, int8, uint8, bool";

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13); // inf / nan
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13); // rebias 15 -> 127
  } else if (mantissa == 0) {
    bits = sign; // +-0
  } else {
    // Subnormal half: normalise it, which float32's wider exponent always can.
    exponent = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

// Copies a typed repeated field (float_data, int32_data, ...) into `out`.
template <class Src>
void fill_from_field(const google::protobuf::RepeatedField<Src>& src, std::int32_t onnx_type, Tensor& out) {
  if (onnx_type == TensorProto::FLOAT16) {
    // float16 travels bit-wise in the low 16 bits of int32_data.
    float* dst = out.data<float>();
    for (int i = 0; i < src.size(); ++i)
      dst[i] = half_to_float(static_cast<std::uint16_t>(src[i]));
    return;
  }
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* dst = static_cast<T*>(out.raw());
    for (int i = 0; i < src.size(); ++i)
      dst[i] = static_cast<T>(src[i]);
  });
}

void fill_from_raw(const std::string& raw, std::int32_t onnx_type, Tensor& out) {
  if (onnx_type == TensorProto::FLOAT16) {
    float* dst = out.data<float>();
    for (std::int64_t i = 0; i < out.size(); ++i) {
      std::uint16_t h;
      std::memcpy(&h, raw.data() + 2 * i, 2);
      dst[i] = half_to_float(h);
    }
  } else if (onnx_type == TensorProto::BOOL) {
    // Bytes other than 0/1 would be invalid bool objects; normalise them.
    bool* dst = out.data<bool>();
    for (std::int64_t i = 0; i < out.size(); ++i)
      dst[i] = raw[static_cast<std::size_t>(i)] != 0;
  } else {
    std::memcpy(out.raw(), raw.data(), out.nbytes());
  }
}

// Number of values in the typed field that `onnx_type` uses, or -1 when the
// type has none we read.
int typed_field_size(const TensorProto& tp) {
  switch (tp.data_type()) {
  case TensorProto::FLOAT: return tp.float_data_size();
  case TensorProto::DOUBLE: return tp.double_data_size();
  case TensorProto::INT64: return tp.int64_data_size();
  case TensorProto::INT32:
  case TensorProto::INT8:
  case TensorProto::UINT8:
  case TensorProto::BOOL:
  case TensorProto::FLOAT16: return tp.int32_data_size();
  default: return -1;
  }
}

void fill_from_typed_field(const TensorProto& tp, Tensor& out) {
  switch (tp.data_type()) {
  case TensorProto::FLOAT: fill_from_field(tp.float_data(), tp.data_type(), out); break;
  case TensorProto::DOUBLE: fill_from_field(tp.double_data(), tp.data_type(), out); break;
  case TensorProto::INT64: fill_from_field(tp.int64_data(), tp.data_type(), out); break;
  default: fill_from_field(tp.int32_data(), tp.data_type(), out); break;
  }
}

// Converts one TensorProto; `what` names it in errors ("initializer 'W'").
// Releases the proto's raw_data afterwards so a large model is not held twice.
Tensor convert_tensor(TensorProto& tp, const std::string& what, const Context& ctx) {
  if (tp.data_location() == TensorProto::EXTERNAL || tp.external_data_size() > 0) {
    std::string location;
    for (const auto& kv : tp.external_data()) {
      if (kv.key() == "location") location = " in '" + kv.value() + "'";
    }
    ctx.fail(what + ": data is stored externally" + location +
             "; external data is not supported (re-export with the weights inside the .onnx file)");
  }
  if (tp.has_segment()) ctx.fail(what + ": segmented tensors are not supported");
  const DType dtype = stored_dtype(tp.data_type());
  if (dtype == DType::kUndefined) {
    ctx.fail(what + ": element type " + onnx_type_name(tp.data_type()) +
             " is not supported (supported: " + kSupportedTypes + ")");
  }

  Shape shape(tp.dims().begin(), tp.dims().end());
  std::int64_t count = 1;
  for (std::int64_t d : shape) {
    if (d < 0) ctx.fail(what + ": negative dimension in shape " + shape_str(shape));
    if (__builtin_mul_overflow(count, d, &count))
      ctx.fail(what + ": shape " + shape_str(shape) + " is too large");
  }

  // The data must be in the file: checking its length first means absurd
  // shapes fail here instead of in the allocator.
  const std::string describe_shape =
      " for shape " + shape_str(shape) + " of " + onnx_type_name(tp.data_type());
  if (tp.has_raw_data()) {
    const std::uint64_t elem_bytes = onnx_element_bytes(tp.data_type());
    std::uint64_t want = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(count), elem_bytes, &want) ||
        want != tp.raw_data().size()) {
      ctx.fail(what + ": raw_data holds " + std::to_string(tp.raw_data().size()) + " bytes, expected " +
               std::to_string(count) + " x " + std::to_string(elem_bytes) + describe_shape);
    }
  } else {
    const int have = typed_field_size(tp);
    if (have != count) {
      ctx.fail(what + ": holds " + std::to_string(have) + " values, expected " + std::to_string(count) +
               describe_shape);
    }
  }

  Tensor out(dtype, std::move(shape));
  if (tp.has_raw_data()) {
    fill_from_raw(tp.raw_data(), tp.data_type(), out);
    std::string().swap(*tp.mutable_raw_data());
  } else {
    fill_from_typed_field(tp, out);
  }
  return out;
}

// The attribute type, inferred from the field in use for IR v1 models that
// predate AttributeProto.type.
AttributeProto::AttributeType attribute_type(const AttributeProto& a) {
  if (a.type() != AttributeProto::UNDEFINED) return a.type();
  if (a.has_f()) return AttributeProto::FLOAT;
  if (a.has_i()) return AttributeProto::INT;
  if (a.has_s()) return AttributeProto::STRING;
  if (a.has_t()) return AttributeProto::TENSOR;
  if (a.has_g()) return AttributeProto::GRAPH;
  if (a.floats_size() > 0) return AttributeProto::FLOATS;
  if (a.ints_size() > 0) return AttributeProto::INTS;
  if (a.strings_size() > 0) return AttributeProto::STRINGS;
  return AttributeProto::UNDEFINED;
}

AttrValue convert_attribute(AttributeProto& a, const Node& node, const Context& ctx) {
  const std::string what = node.describe() + ": attribute '" + a.name() + "'";
  if (!a.ref_attr_name().empty()) ctx.fail(what + " refers to a function attribute, which is not supported");
  const AttributeProto::AttributeType type = attribute_type(a);
  switch (type) {
  case AttributeProto::FLOAT: return a.f();
  case AttributeProto::INT: return a.i();
  case AttributeProto::STRING: return a.s();
  case AttributeProto::INTS: return std::vector<std::int64_t>(a.ints().begin(), a.ints().end());
  case AttributeProto::FLOATS: return std::vector<float>(a.floats().begin(), a.floats().end());
  case AttributeProto::STRINGS: return std::vector<std::string>(a.strings().begin(), a.strings().end());
  case AttributeProto::TENSOR: return convert_tensor(*a.mutable_t(), what, ctx);
  case AttributeProto::GRAPH:
  case AttributeProto::GRAPHS:
    ctx.fail(what + " is a subgraph (" + AttributeProto::AttributeType_Name(type) +
             "); control flow (If, Loop, Scan) is not supported");
  case AttributeProto::SPARSE_TENSOR:
  case AttributeProto::SPARSE_TENSORS:
    ctx.fail(what + " is a sparse tensor (" + AttributeProto::AttributeType_Name(type) +
             "); sparse tensors are not supported");
  case AttributeProto::UNDEFINED: ctx.fail(what + " has no value");
  default:
    ctx.fail(what + " has type " +
             (AttributeProto::AttributeType_IsValid(type) ? AttributeProto::AttributeType_Name(type)
                                                          : std::to_string(static_cast<int>(type))) +
             ", which is not supported");
  }
}

// `role` is "graph input" or "graph output".
ValueInfo convert_value_info(const onnx::ValueInfoProto& v, const char* role, const Context& ctx) {
  ValueInfo info;
  info.name = v.name();
  const std::string what = std::string(role) + " '" + v.name() + "'";
  if (v.name().empty()) ctx.fail(std::string(role) + " without a name");
  if (!v.has_type()) return info; // untyped (allowed for outputs); filled in by shape inference
  const onnx::TypeProto& type = v.type();
  if (!type.has_tensor_type()) {
    const char* kind = type.has_sequence_type()        ? "a sequence"
                       : type.has_map_type()           ? "a map"
                       : type.has_optional_type()      ? "an optional"
                       : type.has_sparse_tensor_type() ? "a sparse tensor"
                                                       : "of an unknown kind";
    ctx.fail(what + " is " + kind + "; only dense tensors are supported");
  }
  const auto& tensor = type.tensor_type();
  if (tensor.elem_type() != TensorProto::UNDEFINED) {
    // float16 is only widened for constants: a float16 input or output would
    // need the caller to convert, so it is refused here.
    info.dtype =
        tensor.elem_type() == TensorProto::FLOAT16 ? DType::kUndefined : stored_dtype(tensor.elem_type());
    if (info.dtype == DType::kUndefined) {
      ctx.fail(what + " has element type " + onnx_type_name(tensor.elem_type()) +
               ", which is not supported (supported: float32, float64, int64, int32, int8, uint8, bool)");
    }
  }
  if (tensor.has_shape()) {
    info.has_shape = true;
    for (const auto& d : tensor.shape().dim()) {
      Dim dim;
      if (d.has_dim_value()) {
        if (d.dim_value() < 0) ctx.fail(what + " has negative dimension " + std::to_string(d.dim_value()));
        dim.value = d.dim_value();
      } else {
        dim.symbol = d.dim_param(); // may be empty: an anonymous dynamic dim
      }
      info.dims.push_back(std::move(dim));
    }
  }
  return info;
}

std::int64_t default_domain_opset(const onnx::ModelProto& model, bool needed, const Context& ctx) {
  for (const auto& o : model.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") {
      if (o.version() < kMinOpset || o.version() > kMaxOpset) {
        ctx.fail("opset " + std::to_string(o.version()) +
                 " of the default ONNX domain is not supported (supported: " + std::to_string(kMinOpset) +
                 "-" + std::to_string(kMaxOpset) + "); re-export with a newer opset");
      }
      return o.version();
    }
  }
  if (needed) ctx.fail("the model imports no opset for the default ONNX domain");
  return 0;
}

// Checks every value has exactly one definition and orders nodes so each runs
// after the producers of its inputs. ONNX requires files to be sorted already;
// a stable topological sort (Kahn, smallest original index first) keeps sorted
// files untouched and repairs the rare exporter that is not.
void check_and_sort(Graph& graph, const Context& ctx) {
  std::unordered_map<std::string, std::size_t> producer; // value -> node index
  std::set<std::string> sources;                         // graph inputs and initializers
  for (const auto& in : graph.inputs) {
    if (!sources.insert(in.name).second) ctx.fail("graph input '" + in.name + "' is declared twice");
  }
  for (const auto& [name, tensor] : graph.initializers)
    sources.insert(name);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& out : graph.nodes[i].outputs) {
      if (out.empty()) continue; // optional output not requested
      if (sources.count(out) != 0 || !producer.emplace(out, i).second) {
        ctx.fail(graph.nodes[i].describe() + ": output '" + out +
                 "' is already defined elsewhere in the graph");
      }
    }
  }

  std::vector<std::vector<std::size_t>> consumers(graph.nodes.size());
  std::vector<std::size_t> pending(graph.nodes.size(), 0); // inputs whose producer has not run yet
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& in : graph.nodes[i].inputs) {
      if (in.empty() || sources.count(in) != 0) continue;
      auto it = producer.find(in);
      if (it == producer.end()) {
        ctx.fail(graph.nodes[i].describe() + ": input '" + in +
                 "' is not a graph input, an initializer or the output of any node");
      }
      consumers[it->second].push_back(i);
      ++pending[i];
    }
  }
  for (const auto& out : graph.outputs) {
    if (sources.count(out.name) == 0 && producer.count(out.name) == 0) {
      ctx.fail("graph output '" + out.name + "' is not produced by any node");
    }
  }

  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<std::size_t> order;
  order.reserve(graph.nodes.size());
  while (!ready.empty()) {
    const std::size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (std::size_t c : consumers[i]) {
      if (--pending[c] == 0) ready.push(c);
    }
  }
  if (order.size() != graph.nodes.size()) {
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      if (pending[i] != 0) ctx.fail(graph.nodes[i].describe() + ": the graph has a cycle through this node");
    }
  }
  if (std::is_sorted(order.begin(), order.end())) return;
  std::vector<Node> sorted;
  sorted.reserve(order.size());
  for (std::size_t i : order)
    sorted.push_back(std::move(graph.nodes[i]));
  graph.nodes = std::move(sorted);
}

Graph convert_model(onnx::ModelProto& model, const Context& ctx) {
  if (!model.has_graph()) {
    if (!model.has_ir_version()) ctx.fail("not an ONNX model (no ir_version and no graph)");
    ctx.fail("the model has no graph (ir_version " + std::to_string(model.ir_version()) + ")");
  }
  onnx::GraphProto& g = *model.mutable_graph();
  Graph graph;
  graph.name = g.name();
  graph.producer = model.producer_name();
  if (!model.producer_version().empty()) graph.producer += " " + model.producer_version();
  for (const auto& kv : model.metadata_props())
    graph.metadata[kv.key()] = kv.value();

  bool default_domain_nodes = false;
  for (const auto& n : g.node())
    default_domain_nodes |= n.domain().empty() || n.domain() == "ai.onnx";
  graph.opset = default_domain_opset(model, default_domain_nodes, ctx);

  for (auto& tp : *g.mutable_initializer()) {
    if (tp.name().empty()) ctx.fail("an initializer has no name");
    const std::string what = "initializer '" + tp.name() + "'";
    if (graph.initializers.count(tp.name()) != 0) ctx.fail(what + " is defined twice");
    graph.initializers.emplace(tp.name(), convert_tensor(tp, what, ctx));
  }
  if (g.sparse_initializer_size() > 0) {
    ctx.fail("sparse initializer '" + g.sparse_initializer(0).values().name() + "' is not supported");
  }
  // Older exporters also list initializers as graph inputs (for overriding);
  // they are constants here.
  for (const auto& v : g.input()) {
    if (graph.initializers.count(v.name()) == 0)
      graph.inputs.push_back(convert_value_info(v, "graph input", ctx));
  }
  for (const auto& v : g.output())
    graph.outputs.push_back(convert_value_info(v, "graph output", ctx));
  if (graph.outputs.empty()) ctx.fail("the graph has no outputs");

  std::set<std::string> node_names;
  graph.nodes.reserve(static_cast<std::size_t>(g.node_size()));
  for (int i = 0; i < g.node_size(); ++i) {
    onnx::NodeProto& n = *g.mutable_node(i);
    Node node;
    node.op_type = n.op_type();
    if (node.op_type.empty()) ctx.fail("node " + std::to_string(i) + " ('" + n.name() + "') has no op_type");
    node.domain = n.domain() == "ai.onnx" ? std::string() : n.domain();
    // Node names are optional in ONNX but are how we report errors and match
    // layers across backends: invent "<op>_<index>" and keep names unique.
    node.name = n.name().empty() ? node.op_type + "_" + std::to_string(i) : n.name();
    if (node_names.count(node.name) != 0) {
      const std::string base = node.name;
      for (int k = 1; node_names.count(node.name) != 0; ++k)
        node.name = base + "_" + std::to_string(k);
    }
    node_names.insert(node.name);
    node.inputs.assign(n.input().begin(), n.input().end());
    node.outputs.assign(n.output().begin(), n.output().end());
    for (auto& a : *n.mutable_attribute()) {
      if (a.name().empty()) ctx.fail(node.describe() + ": an attribute has no name");
      if (node.attrs.has(a.name()))
        ctx.fail(node.describe() + ": attribute '" + a.name() + "' is given twice");
      node.attrs.set(a.name(), convert_attribute(a, node, ctx));
    }
    graph.nodes.push_back(std::move(node));
  }
  check_and_sort(graph, ctx);
  return graph;
}

// Parses one protobuf message, turning every failure into an Error.
template <class Message>
void parse_message(std::span<const std::byte> bytes, Message& message, const char* kind, const Context& ctx) {
  if (bytes.empty()) ctx.fail("the file is empty");
  if (bytes.size() > kMaxMessageBytes) {
    ctx.fail(std::to_string(bytes.size()) + " bytes is more than protobuf's 2 GiB limit for one " + kind);
  }
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  // The default total limit is INT_MAX in protobuf 3.21 but was 64 MiB in older
  // releases; say what we need.
  in.SetTotalBytesLimit(static_cast<int>(kMaxMessageBytes));
  if (!message.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
    ctx.fail(std::string("not a valid ") + kind +
             ": protobuf parsing failed (the file is truncated, corrupt or not " + "ONNX)");
  }
}

} // namespace

Graph parse_onnx(std::span<const std::byte> bytes, const std::string& source_name) {
  const Context ctx(source_name);
  onnx::ModelProto model;
  parse_message(bytes, model, "ONNX model", ctx);
  return convert_model(model, ctx);
}

Tensor parse_onnx_tensor(std::span<const std::byte> bytes, const std::string& source_name) {
  const Context ctx(source_name);
  TensorProto tp;
  parse_message(bytes, tp, "ONNX tensor", ctx);
  return convert_tensor(tp, "tensor '" + tp.name() + "'", ctx);
}

Graph load_onnx(const std::string& path) {
  const Context ctx(path);
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) ctx.fail("no such file");
  if (fs::is_directory(status)) ctx.fail("is a directory, not an ONNX file");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) ctx.fail("cannot read the file size: " + ec.message());
  if (size > kMaxMessageBytes) {
    ctx.fail(std::to_string(size) + " bytes is more than protobuf's 2 GiB limit for one ONNX model");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) ctx.fail("cannot open the file: " + std::string(std::strerror(errno)));
  std::vector<std::byte> bytes(static_cast<std::size_t>(size));
  file.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<std::uintmax_t>(file.gcount()) != size) ctx.fail("could not read the whole file");

  onnx::ModelProto model;
  parse_message(std::span<const std::byte>(bytes), model, "ONNX model", ctx);
  std::vector<std::byte>().swap(bytes); // the proto holds its own copy now
  return convert_model(model, ctx);
}

} // namespace tilescope::engine
