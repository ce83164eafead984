#include "qdq_rewriter.h"

#include "onnx_export.h"
#include "tilescope/core/error.h"
#include "tilescope/engine/onnx_import.h"
#include "tilescope/engine/weight_quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <google/protobuf/io/coded_stream.h>
#include <limits>
#include <set>
#include <sstream>

namespace tilescope::quant {
namespace {

using onnx::NodeProto;
using onnx::TensorProto;

// Per-channel QuantizeLinear / DequantizeLinear (attribute `axis`) arrived in opset 13.
constexpr std::int64_t kMinOpset = 13;
// Symmetric int8 weights: engine/weight_quant.h (shared with the engine's int8 fold).
using engine::kWeightQMax;
// Convolutions with fewer output channels stay float (see QdqRewriter).
constexpr std::int64_t kMinQuantizedOutputChannels = 4;

std::int64_t default_opset(const onnx::ModelProto& model) {
  for (const auto& o : model.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  }
  return 0;
}

bool is_default_domain(const NodeProto& n) { return n.domain().empty() || n.domain() == "ai.onnx"; }

// The engine's name for node i (onnx_importer.cpp invents "<op>_<index>" for unnamed ones).
std::string node_name(const NodeProto& n, int i) {
  return n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
}

engine::Tensor to_tensor(const TensorProto& tp, const std::string& path) {
  const std::string bytes = tp.SerializeAsString();
  return engine::parse_onnx_tensor(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()), path);
}

template <class T>
TensorProto make_tensor(const std::string& name, TensorProto::DataType type,
                        const std::vector<std::int64_t>& dims, const std::vector<T>& values) {
  TensorProto tp;
  tp.set_name(name);
  tp.set_data_type(type);
  for (std::int64_t d : dims)
    tp.add_dims(d);
  tp.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
  return tp;
}

NodeProto make_node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                    const std::string& output, std::optional<std::int64_t> axis = std::nullopt) {
  NodeProto n;
  n.set_op_type(op);
  n.set_name(name);
  for (auto& in : inputs)
    n.add_input(in);
  n.add_output(output);
  if (axis) {
    auto* a = n.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(*axis);
  }
  return n;
}

// Rounds half to even, as numpy's round in ONNX Runtime's quantizer.
float round_even(float x) { return std::nearbyint(x); }

} // namespace

ActivationRange activation_params(std::string value, float min, float max, bool int8_activations) {
  ActivationRange r;
  r.value = std::move(value);
  r.min = std::min(min, 0.0f);
  r.max = std::max(max, 0.0f);
  const float qmin = int8_activations ? -128.0f : 0.0f;
  const float qmax = int8_activations ? 127.0f : 255.0f;
  r.scale = (r.max - r.min) / (qmax - qmin);
  if (!(r.scale > 0) || !std::isfinite(r.scale)) {
    r.scale = 1.0f; // a constant-zero activation: any scale represents it
    r.zero_point = 0;
    return r;
  }
  r.zero_point = static_cast<int>(std::clamp(round_even(qmin - r.min / r.scale), qmin, qmax));
  return r;
}

QdqRewriter::QdqRewriter(const std::string& model_path) : path_(model_path) {
  std::ifstream file(model_path, std::ios::binary);
  if (!file) throw Error(model_path + ": cannot open the file: " + std::strerror(errno));
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string bytes = buffer.str();
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetTotalBytesLimit(std::numeric_limits<int>::max());
  if (!model_.ParseFromCodedStream(&in) || !model_.has_graph()) {
    throw Error(model_path + ": not a valid ONNX model (protobuf parsing failed)");
  }
  check_model();
}

QdqRewriter::QdqRewriter(onnx::ModelProto model, const std::string& source)
    : path_(source), model_(std::move(model)) {
  check_model();
}

void QdqRewriter::check_model() const {
  const std::string& model_path = path_;
  const std::int64_t opset = default_opset(model_);
  if (opset < kMinOpset) {
    throw Error(model_path + ": opset " + std::to_string(opset) +
                ": per-channel QuantizeLinear / DequantizeLinear need opset 13 or later; re-export the model "
                "with opset >= 13");
  }
  for (const NodeProto& n : model_.graph().node()) {
    if (is_default_domain(n) && (n.op_type() == "QuantizeLinear" || n.op_type() == "DequantizeLinear")) {
      throw Error(model_path + ": the model is already quantized (it has " + n.op_type() + " nodes)");
    }
  }
}

void QdqRewriter::select_convs(const QuantizeOptions& options, QuantizeReport& report) {
  const onnx::GraphProto& g = model_.graph();
  std::map<std::string, const TensorProto*> initializers;
  for (const TensorProto& t : g.initializer())
    initializers[t.name()] = &t;
  std::set<std::string> graph_inputs;
  for (const auto& v : g.input()) {
    if (initializers.count(v.name()) == 0) graph_inputs.insert(v.name());
  }

  // reaches_conv[i]: some Conv reads (directly or not) what node i writes.
  std::map<std::string, std::vector<int>> readers;
  for (int i = 0; i < g.node_size(); ++i) {
    for (const std::string& in : g.node(i).input())
      readers[in].push_back(i);
  }
  std::vector<bool> reaches_conv(static_cast<std::size_t>(g.node_size()), false);
  for (int i = g.node_size() - 1; i >= 0; --i) {
    for (const std::string& out : g.node(i).output()) {
      for (int r : readers[out]) {
        if (g.node(r).op_type() == "Conv" || reaches_conv[static_cast<std::size_t>(r)])
          reaches_conv[static_cast<std::size_t>(i)] = true;
      }
    }
  }

  std::set<std::string> excluded(options.exclude_nodes.begin(), options.exclude_nodes.end());
  std::set<std::string> conv_names;
  for (int i = 0; i < g.node_size(); ++i) {
    const NodeProto& n = g.node(i);
    if (!is_default_domain(n) || n.op_type() != "Conv") continue;
    const std::string name = node_name(n, i);
    conv_names.insert(name);
    auto kept = [&](const std::string& why) { report.convs_kept.push_back(name + " (" + why + ")"); };
    if (excluded.count(name) != 0) {
      kept("--exclude");
      continue;
    }
    if (options.keep_first_last_fp32 && n.input_size() > 0 && graph_inputs.count(n.input(0)) != 0) {
      kept("first layer");
      continue;
    }
    if (options.keep_first_last_fp32 && !reaches_conv[static_cast<std::size_t>(i)]) {
      kept("last layer");
      continue;
    }
    bool grouped = false;
    for (const auto& a : n.attribute())
      grouped |= a.name() == "group" && a.i() != 1;
    if (grouped) {
      // Depthwise / grouped: little compute, and the engine's int8 convolution
      // (passes/fold_qdq_conv.cpp) takes group 1 only.
      kept("grouped convolution");
      continue;
    }
    auto w = n.input_size() > 1 ? initializers.find(n.input(1)) : initializers.end();
    if (w == initializers.end()) {
      kept("weights are not an initializer");
      continue;
    }
    if (w->second->data_type() != TensorProto::FLOAT || w->second->dims_size() < 3) {
      kept("weights are not float32");
      continue;
    }
    if (w->second->dims(0) < kMinQuantizedOutputChannels) {
      // YOLOv8's DFL readout (16 -> 1 channel, fixed weights 0..15): too little work to
      // pay for quantizing its input, which the engine would have to relayout as well.
      kept("fewer than " + std::to_string(kMinQuantizedOutputChannels) + " output channels");
      continue;
    }
    convs_.push_back(i);
  }
  for (const std::string& name : options.exclude_nodes) {
    if (conv_names.count(name) == 0)
      throw Error("--exclude " + name + ": the model has no Conv node of that name");
  }
  report.convs_quantized = static_cast<int>(convs_.size());
}

std::vector<std::string> QdqRewriter::activation_values() const {
  std::vector<std::string> values;
  for (int i : convs_) {
    const std::string& x = model_.graph().node(i).input(0);
    if (std::find(values.begin(), values.end(), x) == values.end()) values.push_back(x);
  }
  return values;
}

void QdqRewriter::rewrite(const std::map<std::string, ActivationRange>& ranges, bool int8_activations) {
  onnx::GraphProto& g = *model_.mutable_graph();
  std::set<std::string> names; // every value and initializer name, to keep new ones unique
  for (const TensorProto& t : g.initializer())
    names.insert(t.name());
  for (const auto& v : g.input())
    names.insert(v.name());
  for (const NodeProto& n : g.node()) {
    for (const auto& o : n.output())
      names.insert(o);
  }
  auto unique = [&](const std::string& base) {
    std::string name = base;
    for (int k = 1; names.count(name) != 0; ++k)
      name = base + "_" + std::to_string(k);
    names.insert(name);
    return name;
  };
  std::map<std::string, const TensorProto*> initializers;
  for (const TensorProto& t : g.initializer())
    initializers[t.name()] = &t;

  std::vector<TensorProto> new_initializers;
  std::vector<NodeProto> head_nodes;                   // weight and bias DQs, graph-input Q/DQ
  std::map<std::string, std::vector<NodeProto>> after; // activation Q/DQ, after their producer
  std::map<std::string, std::string> dequantized;      // activation -> its DQ output
  std::map<std::string, std::vector<float>> weight_scales;
  std::map<std::string, std::string> weight_dq; // weight initializer -> DQ output

  std::set<std::string> produced;
  for (const NodeProto& n : g.node()) {
    for (const auto& o : n.output())
      produced.insert(o);
  }
  const auto q_type = int8_activations ? TensorProto::INT8 : TensorProto::UINT8;

  for (int i : convs_) {
    NodeProto& conv = *g.mutable_node(i);
    const std::string x = conv.input(0);
    const ActivationRange& range = ranges.at(x);

    if (dequantized.count(x) == 0) {
      const std::string scale = unique(x + "_scale"), zp = unique(x + "_zero_point");
      new_initializers.push_back(make_tensor<float>(scale, TensorProto::FLOAT, {}, {range.scale}));
      if (int8_activations) {
        new_initializers.push_back(
            make_tensor<std::int8_t>(zp, q_type, {}, {static_cast<std::int8_t>(range.zero_point)}));
      } else {
        new_initializers.push_back(
            make_tensor<std::uint8_t>(zp, q_type, {}, {static_cast<std::uint8_t>(range.zero_point)}));
      }
      const std::string q_out = unique(x + "_QuantizeLinear_Output");
      const std::string dq_out = unique(x + "_DequantizeLinear_Output");
      std::vector<NodeProto> pair{
          make_node("QuantizeLinear", unique(x + "_QuantizeLinear"), {x, scale, zp}, q_out),
          make_node("DequantizeLinear", unique(x + "_DequantizeLinear"), {q_out, scale, zp}, dq_out)};
      auto& where = produced.count(x) != 0 ? after[x] : head_nodes;
      where.insert(where.end(), pair.begin(), pair.end());
      dequantized[x] = dq_out;
    }
    conv.set_input(0, dequantized[x]);

    const std::string w = conv.input(1);
    if (weight_dq.count(w) == 0) {
      const engine::Tensor weights = to_tensor(*initializers.at(w), path_);
      const std::int64_t channels = weights.shape()[0];
      const std::int64_t per_channel = weights.size() / std::max<std::int64_t>(channels, 1);
      const std::vector<float> scales = engine::symmetric_weight_scales(weights);
      std::vector<std::int8_t> q(static_cast<std::size_t>(weights.size()));
      const float* wv = weights.data<float>();
      for (std::int64_t c = 0; c < channels; ++c) {
        const float s = scales[static_cast<std::size_t>(c)];
        for (std::int64_t k = 0; k < per_channel; ++k) {
          const std::int64_t j = c * per_channel + k;
          q[static_cast<std::size_t>(j)] =
              static_cast<std::int8_t>(std::clamp(round_even(wv[j] / s), -kWeightQMax, kWeightQMax));
        }
      }
      const std::string wq = unique(w + "_quantized"), ws = unique(w + "_scale"),
                        wz = unique(w + "_zero_point");
      new_initializers.push_back(make_tensor<std::int8_t>(wq, TensorProto::INT8, weights.shape(), q));
      new_initializers.push_back(make_tensor<float>(ws, TensorProto::FLOAT, {channels}, scales));
      new_initializers.push_back(
          make_tensor<std::int8_t>(wz, TensorProto::INT8, {channels},
                                   std::vector<std::int8_t>(static_cast<std::size_t>(channels), 0)));
      const std::string out = unique(w + "_DequantizeLinear_Output");
      head_nodes.push_back(
          make_node("DequantizeLinear", unique(w + "_DequantizeLinear"), {wq, ws, wz}, out, 0));
      weight_dq[w] = out;
      weight_scales[w] = std::move(scales);
    }
    conv.set_input(1, weight_dq[w]);

    // Bias: int32 with scale s_x * s_w[c], zero point 0 (ONNX Runtime's choice),
    // when it is a float32 initializer with one value per output channel.
    if (conv.input_size() > 2 && !conv.input(2).empty()) {
      auto b = initializers.find(conv.input(2));
      const std::vector<float>& ws = weight_scales[w];
      if (b != initializers.end() && b->second->data_type() == TensorProto::FLOAT) {
        const engine::Tensor bias = to_tensor(*b->second, path_);
        if (bias.rank() == 1 && bias.size() == static_cast<std::int64_t>(ws.size())) {
          std::vector<float> scales(ws.size());
          std::vector<std::int32_t> q(ws.size());
          for (std::size_t c = 0; c < ws.size(); ++c) {
            scales[c] = range.scale * ws[c];
            const double v = std::nearbyint(static_cast<double>(bias.data<float>()[c]) / scales[c]);
            q[c] = static_cast<std::int32_t>(std::clamp(v, -2147483648.0, 2147483647.0));
          }
          const std::string base = conv.input(2);
          const std::string bq = unique(base + "_quantized"), bs = unique(base + "_scale"),
                            bz = unique(base + "_zero_point"),
                            out = unique(base + "_DequantizeLinear_Output");
          const auto n = static_cast<std::int64_t>(ws.size());
          new_initializers.push_back(make_tensor<std::int32_t>(bq, TensorProto::INT32, {n}, q));
          new_initializers.push_back(make_tensor<float>(bs, TensorProto::FLOAT, {n}, scales));
          new_initializers.push_back(make_tensor<std::int32_t>(bz, TensorProto::INT32, {n},
                                                               std::vector<std::int32_t>(ws.size(), 0)));
          head_nodes.push_back(
              make_node("DequantizeLinear", unique(base + "_DequantizeLinear"), {bq, bs, bz}, out, 0));
          conv.set_input(2, out);
        }
      }
    }
  }

  // New node order: constant DQs and graph-input pairs first, then each
  // original node followed by the pair quantizing its output (topological).
  std::vector<NodeProto> nodes = std::move(head_nodes);
  for (NodeProto& n : *g.mutable_node()) {
    std::vector<std::string> outs(n.output().begin(), n.output().end());
    nodes.push_back(std::move(n));
    for (const std::string& o : outs) {
      auto it = after.find(o);
      if (it != after.end()) nodes.insert(nodes.end(), it->second.begin(), it->second.end());
    }
  }
  g.clear_node();
  for (NodeProto& n : nodes)
    *g.add_node() = std::move(n);

  // Drop the float initializers nothing reads any more (replaced weights, biases).
  std::set<std::string> read;
  for (const NodeProto& n : g.node()) {
    for (const auto& in : n.input())
      read.insert(in);
  }
  for (const auto& o : g.output())
    read.insert(o.name());
  auto* inits = g.mutable_initializer();
  for (int i = inits->size() - 1; i >= 0; --i) {
    if (read.count(inits->Get(i).name()) == 0) inits->DeleteSubrange(i, 1);
  }
  for (TensorProto& t : new_initializers)
    *g.add_initializer() = std::move(t);
  // Old exporters list initializers as graph inputs too; drop the ones removed.
  std::set<std::string> kept_inits;
  for (const TensorProto& t : g.initializer())
    kept_inits.insert(t.name());
  auto* inputs = g.mutable_input();
  for (int i = inputs->size() - 1; i >= 0; --i) {
    const std::string& name = inputs->Get(i).name();
    if (initializers.count(name) != 0 && kept_inits.count(name) == 0) inputs->DeleteSubrange(i, 1);
  }
}

void QdqRewriter::write(const std::string& out_path) const { write_model(model_, out_path); }

} // namespace tilescope::quant
