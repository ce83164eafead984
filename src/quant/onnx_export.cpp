#include "onnx_export.h"

#include "tilescope/core/error.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace tilescope::quant {
namespace {

using onnx::TensorProto;

TensorProto::DataType onnx_type(engine::DType dtype) {
  switch (dtype) {
  case engine::DType::kFloat32: return TensorProto::FLOAT;
  case engine::DType::kFloat64: return TensorProto::DOUBLE;
  case engine::DType::kInt64: return TensorProto::INT64;
  case engine::DType::kInt32: return TensorProto::INT32;
  case engine::DType::kInt8: return TensorProto::INT8;
  case engine::DType::kUInt8: return TensorProto::UINT8;
  case engine::DType::kBool: return TensorProto::BOOL;
  case engine::DType::kUndefined: break;
  }
  return TensorProto::UNDEFINED;
}

void fill_tensor(TensorProto& tp, const std::string& name, const engine::Tensor& t) {
  tp.set_name(name);
  tp.set_data_type(onnx_type(t.dtype()));
  if (tp.data_type() == TensorProto::UNDEFINED) throw Error("ONNX export: tensor '" + name + "' has no type");
  for (std::int64_t d : t.shape())
    tp.add_dims(d);
  tp.set_raw_data(std::string(static_cast<const char*>(t.raw()), t.nbytes()));
}

void fill_value_info(onnx::ValueInfoProto& v, const engine::ValueInfo& info) {
  v.set_name(info.name);
  if (info.dtype == engine::DType::kUndefined) return;
  auto* tensor = v.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx_type(info.dtype));
  if (!info.has_shape) return;
  auto* shape = tensor->mutable_shape();
  for (const engine::Dim& d : info.dims) {
    auto* dim = shape->add_dim();
    if (d.is_static())
      dim->set_dim_value(d.value);
    else if (!d.symbol.empty())
      dim->set_dim_param(d.symbol);
  }
}

void fill_attribute(onnx::AttributeProto& a, const std::string& name, const engine::AttrValue& value) {
  using onnx::AttributeProto;
  a.set_name(name);
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::int64_t>) {
          a.set_type(AttributeProto::INT), a.set_i(v);
        } else if constexpr (std::is_same_v<V, float>) {
          a.set_type(AttributeProto::FLOAT), a.set_f(v);
        } else if constexpr (std::is_same_v<V, std::string>) {
          a.set_type(AttributeProto::STRING), a.set_s(v);
        } else if constexpr (std::is_same_v<V, std::vector<std::int64_t>>) {
          a.set_type(AttributeProto::INTS);
          for (auto x : v)
            a.add_ints(x);
        } else if constexpr (std::is_same_v<V, std::vector<float>>) {
          a.set_type(AttributeProto::FLOATS);
          for (auto x : v)
            a.add_floats(x);
        } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
          a.set_type(AttributeProto::STRINGS);
          for (const auto& x : v)
            a.add_strings(x);
        } else {
          a.set_type(AttributeProto::TENSOR);
          fill_tensor(*a.mutable_t(), "", v);
        }
      },
      value);
}

} // namespace

onnx::ModelProto export_onnx(const engine::Graph& graph) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("tilescope");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(graph.opset);
  bool tilescope_ops = false;
  for (const auto& [key, value] : graph.metadata) {
    auto* kv = model.add_metadata_props();
    kv->set_key(key);
    kv->set_value(value);
  }
  onnx::GraphProto& g = *model.mutable_graph();
  g.set_name(graph.name.empty() ? "tilescope" : graph.name);
  for (const auto& [name, tensor] : graph.initializers)
    fill_tensor(*g.add_initializer(), name, tensor);
  for (const engine::ValueInfo& in : graph.inputs)
    fill_value_info(*g.add_input(), in);
  for (const engine::ValueInfo& out : graph.outputs)
    fill_value_info(*g.add_output(), out);
  for (const engine::Node& node : graph.nodes) {
    onnx::NodeProto& n = *g.add_node();
    n.set_name(node.name);
    n.set_op_type(node.op_type);
    n.set_domain(node.domain);
    tilescope_ops |= node.domain == "tilescope";
    for (const std::string& in : node.inputs)
      n.add_input(in);
    for (const std::string& out : node.outputs)
      n.add_output(out);
    for (const auto& [name, value] : node.attrs.all())
      fill_attribute(*n.add_attribute(), name, value);
  }
  if (tilescope_ops) {
    auto* ts = model.add_opset_import();
    ts->set_domain("tilescope");
    ts->set_version(1);
  }
  return model;
}

void write_model(const onnx::ModelProto& model, const std::string& out_path) {
  std::ofstream file(out_path, std::ios::binary | std::ios::trunc);
  if (!file) throw Error(out_path + ": cannot create the file: " + std::strerror(errno));
  if (!model.SerializeToOstream(&file)) throw Error(out_path + ": writing the model failed");
  file.close();
  if (!file) throw Error(out_path + ": writing the model failed");
}

} // namespace tilescope::quant
