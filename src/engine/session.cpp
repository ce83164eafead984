#include "tilescope/engine/session.h"

#include "backends/executable.h"
#include "backends/reference/op_registry.h"
#include "passes/passes.h"
#include "tilescope/engine/onnx_import.h"
#include "tilescope/engine/tfjs_import.h"

#include <algorithm>
#include <oneapi/dnnl/dnnl.hpp>
#include <set>

namespace tilescope::engine {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool all_inputs_fixed(const Graph& graph, const std::map<std::string, Shape>& fixed) {
  return std::all_of(graph.inputs.begin(), graph.inputs.end(), [&](const ValueInfo& in) {
    if (fixed.count(in.name)) return true;
    return in.has_shape &&
           std::all_of(in.dims.begin(), in.dims.end(), [](const Dim& d) { return d.is_static(); });
  });
}

} // namespace

Graph load_model(const std::string& path) {
  return ends_with(path, ".json") ? load_tfjs(path) : load_onnx(path);
}

std::optional<Backend> parse_backend(std::string_view name) {
  if (name == "reference") return Backend::kReference;
  if (name == "onednn") return Backend::kOnednn;
  return std::nullopt;
}

std::string_view backend_name(Backend backend) {
  return backend == Backend::kReference ? "reference" : "onednn";
}

std::optional<Precision> parse_precision(std::string_view name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  if (name == "int8") return Precision::kInt8;
  return std::nullopt;
}

std::string_view precision_name(Precision precision) {
  switch (precision) {
  case Precision::kFp32: return "fp32";
  case Precision::kBf16: return "bf16";
  case Precision::kInt8: return "int8";
  }
  return "fp32";
}

bool native_bf16_available() { return dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core_bf16; }

namespace {

bool has_quantized_nodes(const Graph& graph) {
  return std::any_of(graph.nodes.begin(), graph.nodes.end(), [](const Node& node) {
    return node.domain.empty() && (node.op_type == "QuantizeLinear" || node.op_type == "DequantizeLinear");
  });
}

// Refuses combinations that cannot run as asked, before anything compiles.
void check_precision(const Graph& graph, const SessionOptions& options) {
  if (options.precision == Precision::kBf16) {
    if (options.backend != Backend::kOnednn) {
      throw Error("precision bf16 needs the onednn backend (the reference backend runs fp32 only)");
    }
    if (dnnl::get_effective_cpu_isa() < dnnl::cpu_isa::avx512_core) {
      throw Error("precision bf16 needs a CPU with AVX-512 (oneDNN has no bfloat16 convolution below it); "
                  "use fp32");
    }
  }
  if (options.precision == Precision::kInt8 && !has_quantized_nodes(graph)) {
    throw Error("precision int8 needs a quantized (QDQ) model and this one has no QuantizeLinear/"
                "DequantizeLinear nodes: make one with `tilescope model quantize MODEL --calib DIR_OF_IMAGES "
                "--out MODEL.int8.onnx` and run that");
  }
}

} // namespace

std::vector<std::string> unsupported_operators(const Graph& graph) {
  std::map<std::string, std::vector<std::string>> missing;
  for (const Node& node : graph.nodes) {
    if (reference::OpRegistry::instance().find(node.domain, node.op_type) == nullptr) {
      const std::string op = node.domain.empty() ? node.op_type : node.domain + "." + node.op_type;
      missing[op].push_back(node.name);
    }
  }
  std::vector<std::string> out;
  for (const auto& [op, nodes] : missing) {
    std::string line =
        op + " (" + std::to_string(nodes.size()) + (nodes.size() == 1 ? " node: " : " nodes: ");
    for (std::size_t i = 0; i < nodes.size() && i < 5; ++i)
      line += (i ? ", " : "") + nodes[i];
    if (nodes.size() > 5) line += ", ...";
    out.push_back(line + ")");
  }
  return out;
}

struct Session::Impl {
  Graph model;
  SessionOptions options;
  struct Plan {
    Graph graph;
    std::unique_ptr<Executable> executable;
  };
  std::map<std::map<std::string, Shape>, Plan> plans;
  const Plan* last = nullptr;

  const Plan& plan_for(const std::map<std::string, Shape>& shapes) {
    auto it = plans.find(shapes);
    if (it != plans.end()) return last = &it->second, it->second;
    Plan plan;
    plan.graph = model.clone();
    passes::specialize_inputs(plan.graph, shapes);
    passes::fold_constants(plan.graph);
    if (options.fuse) {
      passes::fuse_conv_bn(plan.graph);
      passes::fuse_conv_activation(plan.graph);
      passes::fuse_conv_add(plan.graph);
      if (options.precision == Precision::kInt8 && options.backend == Backend::kOnednn)
        passes::fold_qdq_conv(plan.graph);
    }
    passes::eliminate_dead_nodes(plan.graph);
    passes::infer_shapes(plan.graph);
    plan.executable = options.backend == Backend::kReference
                          ? compile_reference(plan.graph, options.capture_values)
                          : compile_onednn(plan.graph, options.threads, options.capture_values,
                                           options.precision == Precision::kBf16);
    auto [pos, inserted] = plans.emplace(shapes, std::move(plan));
    last = &pos->second;
    return pos->second;
  }
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Session Session::open(const std::string& path, SessionOptions options) {
  Graph graph = load_model(path);
  try {
    return from_graph(std::move(graph), std::move(options));
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

Session Session::from_graph(Graph graph, SessionOptions options) {
  auto missing = unsupported_operators(graph);
  if (!missing.empty()) {
    std::string msg = "unsupported operator" + std::string(missing.size() > 1 ? "s: " : ": ");
    for (std::size_t i = 0; i < missing.size(); ++i)
      msg += (i ? "; " : "") + missing[i];
    throw Error(msg);
  }
  check_precision(graph, options);
  auto impl = std::make_unique<Impl>();
  impl->model = std::move(graph);
  impl->options = std::move(options);
  Session session(std::move(impl));
  const auto& fixed = session.impl_->options.input_shapes;
  if (all_inputs_fixed(session.impl_->model, fixed)) {
    std::map<std::string, Shape> shapes;
    for (const ValueInfo& in : session.impl_->model.inputs) {
      auto it = fixed.find(in.name);
      if (it != fixed.end()) {
        shapes[in.name] = it->second;
      } else {
        Shape s;
        for (const Dim& d : in.dims)
          s.push_back(d.value);
        shapes[in.name] = s;
      }
    }
    session.prepare(shapes);
  } else {
    for (const auto& entry : fixed) {
      const std::string& name = entry.first; // not a structured binding: clang 14 cannot capture those
      const auto& ins = session.impl_->model.inputs;
      if (std::none_of(ins.begin(), ins.end(), [&](const ValueInfo& in) { return in.name == name; })) {
        throw Error("input shape given for '" + name + "', but the model has no input of that name");
      }
    }
  }
  return session;
}

const Graph& Session::model() const { return impl_->model; }
const std::vector<ValueInfo>& Session::inputs() const { return impl_->model.inputs; }
const std::vector<ValueInfo>& Session::outputs() const { return impl_->model.outputs; }
const SessionOptions& Session::options() const { return impl_->options; }

void Session::prepare(const std::map<std::string, Shape>& input_shapes) { impl_->plan_for(input_shapes); }

std::vector<Tensor> Session::run(const std::map<std::string, const Tensor*>& inputs) {
  std::map<std::string, Shape> shapes;
  std::vector<const Tensor*> ordered;
  for (const ValueInfo& in : impl_->model.inputs) {
    auto it = inputs.find(in.name);
    if (it == inputs.end() || it->second == nullptr) throw Error("input '" + in.name + "' was not given");
    if (it->second->dtype() != in.dtype) {
      throw Error("input '" + in.name + "' must be " + std::string(dtype_name(in.dtype)) + ", got " +
                  std::string(dtype_name(it->second->dtype())));
    }
    shapes[in.name] = it->second->shape();
    ordered.push_back(it->second);
  }
  for (const auto& [name, t] : inputs) {
    if (!shapes.count(name)) throw Error("the model has no input named '" + name + "'");
  }
  return impl_->plan_for(shapes).executable->run(ordered);
}

std::vector<Tensor> Session::run(const Tensor& input) {
  if (impl_->model.inputs.size() != 1) {
    throw Error("the model has " + std::to_string(impl_->model.inputs.size()) + " inputs; name each one");
  }
  return run({{impl_->model.inputs[0].name, &input}});
}

MemoryReport Session::memory_report() const {
  return impl_->last ? impl_->last->executable->memory() : MemoryReport{};
}

const Graph& Session::compiled_graph() const {
  if (!impl_->last) throw Error("the model has not been compiled for any input shape yet");
  return impl_->last->graph;
}

std::map<std::string, Tensor> Session::take_captured() {
  return impl_->last ? impl_->last->executable->take_captured() : std::map<std::string, Tensor>{};
}

} // namespace tilescope::engine
