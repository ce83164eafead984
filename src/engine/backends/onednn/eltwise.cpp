// Elementwise activations as oneDNN eltwise primitives. They run on the input's
// own layout (no reorder) and in place when nothing else reads the input later.
#include "backends/onednn/kernel_registry.h"
#include "backends/onednn/native_swish.h"

#include <limits>

namespace tilescope::engine::onednn {
namespace {

using dnnl::algorithm;

struct EltwiseOp {
  algorithm alg;
  float alpha = 0.0f;
  float beta = 0.0f;
};

// Applies `ops` in sequence to input 0 of `node` (the first from src to dst,
// the rest in place on dst), writing output 0.
bool build_chain(Compiler& c, const Node& node, const std::string& input,
                 std::initializer_list<EltwiseOp> ops) {
  const std::string& output = node.outputs[0];
  if (!f32_nonempty(c, input) || !f32_nonempty(c, output) || c.type(input).shape != c.type(output).shape) {
    return false;
  }
  const Md md = c.layout(input);
  std::vector<dnnl::eltwise_forward::primitive_desc> pds;
  for (const EltwiseOp& op : ops) {
    auto pd = try_primitive_desc<dnnl::eltwise_forward::primitive_desc>(
        dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, op.alg, md, op.alpha, op.beta),
        c.attr(), c.engine());
    if (!pd) return false;
    pds.push_back(*pd);
  }
  const MemRef src = c.read_as_is(input);
  const MemRef dst = c.define_reusing(node, output, input, src);
  const std::string label = node.op_type;
  for (std::size_t i = 0; i < pds.size(); ++i) {
    c.add_primitive(label, dnnl::eltwise_forward(pds[i]),
                    {{DNNL_ARG_SRC, i == 0 ? src : dst}, {DNNL_ARG_DST, dst}}, pds[i].scratchpad_desc());
  }
  return true;
}

bool build_relu(Compiler& c, const Node& node) {
  return build_chain(c, node, node.inputs[0], {{algorithm::eltwise_relu}});
}

bool build_leaky_relu(Compiler& c, const Node& node) {
  return build_chain(c, node, node.inputs[0],
                     {{algorithm::eltwise_relu, node.attrs.get_float("alpha", 0.01f)}});
}

bool build_sigmoid(Compiler& c, const Node& node) {
  // Deferred: the Mul reading it builds x * sigmoid(x) as one swish step.
  if (swish_consumer(c, node) != nullptr) return true;
  const std::string& input = node.inputs[0];
  const std::string& output = node.outputs[0];
  // Our own loop where it runs (native_swish.h): ~1.6x oneDNN's logistic here.
  // Not on padded blocked layouts: sigmoid(0) = 0.5 would land in the padding,
  // which oneDNN's kernels expect to stay zero.
  const bool unpadded = f32_nonempty(c, input) &&
                        c.layout(input).get_size() == num_elements(c.type(input).shape) * sizeof(float);
  if (native_swish_available() && unpadded && c.type(input).shape == c.type(output).shape) {
    const MemRef src = c.read_as_is(input);
    const MemRef dst = c.define_reusing(node, output, input, src);
    c.add_native("Sigmoid", make_sigmoid_kernel(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
    return true;
  }
  return build_chain(c, node, input, {{algorithm::eltwise_logistic}});
}

// oneDNN 2.6 has no hard-sigmoid: max(0, min(1, alpha*x + beta)) is linear
// followed by clip.
bool build_hard_sigmoid(Compiler& c, const Node& node) {
  const float alpha = node.attrs.get_float("alpha", 0.2f);
  const float beta = node.attrs.get_float("beta", 0.5f);
  return build_chain(c, node, node.inputs[0],
                     {{algorithm::eltwise_linear, alpha, beta}, {algorithm::eltwise_clip_v2, 0.0f, 1.0f}});
}

// oneDNN's hardswish is x * relu6(x + 3) / 6, ONNX's x * max(0, min(1, x/6 + 1/2)).
bool build_hard_swish(Compiler& c, const Node& node) {
  return build_chain(c, node, node.inputs[0], {{algorithm::eltwise_hardswish}});
}

bool build_tanh(Compiler& c, const Node& node) {
  return build_chain(c, node, node.inputs[0], {{algorithm::eltwise_tanh}});
}

bool build_sqrt(Compiler& c, const Node& node) {
  return build_chain(c, node, node.inputs[0], {{algorithm::eltwise_sqrt}});
}

bool build_exp(Compiler& c, const Node& node) {
  return build_chain(c, node, node.inputs[0], {{algorithm::eltwise_exp}});
}

// Clip-11+ takes min/max as optional inputs (load-time constants here), Clip-6
// as attributes; absent bounds are unbounded. clip_v2 is exactly min(max(x, lo), hi).
bool build_clip(Compiler& c, const Node& node) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  float bounds[2] = {-kInf, kInf};
  if (c.opset() < 11) {
    bounds[0] = node.attrs.get_float("min", -kInf);
    bounds[1] = node.attrs.get_float("max", kInf);
  } else {
    for (std::size_t i = 1; i <= 2; ++i) {
      if (!node.has_input(i)) continue;
      const Tensor* t = c.constant(node.inputs[i]);
      if (t == nullptr || t->size() != 1) return false;
      bounds[i - 1] = static_cast<float>(t->get_as_double(0));
    }
  }
  return build_chain(c, node, node.inputs[0], {{algorithm::eltwise_clip_v2, bounds[0], bounds[1]}});
}

// Pow with a constant scalar exponent (YOLOv5's head squares): alpha * x^beta.
bool build_pow(Compiler& c, const Node& node) {
  const Tensor* exponent = c.constant(node.inputs[1]);
  if (exponent == nullptr || exponent->size() != 1) return false;
  const auto beta = static_cast<float>(exponent->get_as_double(0));
  return build_chain(c, node, node.inputs[0], {{algorithm::eltwise_pow, 1.0f, beta}});
}

} // namespace

const Node* swish_consumer(const Compiler& c, const Node& sigmoid) {
  if (sigmoid.op_type != "Sigmoid" || !sigmoid.domain.empty() || sigmoid.outputs.size() != 1) return nullptr;
  const std::string& x = sigmoid.inputs[0];
  const std::string& s = sigmoid.outputs[0];
  const Graph& g = c.graph();
  if (g.use_count(s) != 1 || g.is_graph_output(s) || c.constant(x) != nullptr) return nullptr;
  for (const Node& node : g.nodes) {
    if (node.op_type != "Mul" || !node.domain.empty() || node.inputs.size() != 2) continue;
    const bool reads =
        (node.inputs[0] == x && node.inputs[1] == s) || (node.inputs[0] == s && node.inputs[1] == x);
    if (!reads) continue;
    if (!f32_nonempty(c, x) || c.type(node.outputs[0]).shape != c.type(x).shape) return nullptr;
    return &node;
  }
  return nullptr;
}

bool build_swish(Compiler& c, const Node& mul) {
  for (std::size_t i = 0; i < 2; ++i) {
    const std::optional<std::size_t> producer = c.graph().producer_of(mul.inputs[i]);
    if (!producer) continue;
    const Node& sigmoid = c.graph().nodes[*producer];
    if (swish_consumer(c, sigmoid) == &mul) {
      return build_chain(c, mul, sigmoid.inputs[0], {{algorithm::eltwise_swish, 1.0f}});
    }
  }
  return false;
}

void register_eltwise_kernels(KernelRegistry& r) {
  r.add("", "Clip", build_clip);
  r.add("", "Exp", build_exp);
  r.add("", "HardSigmoid", build_hard_sigmoid);
  r.add("", "HardSwish", build_hard_swish);
  r.add("", "LeakyRelu", build_leaky_relu);
  r.add("", "Pow", build_pow);
  r.add("", "Relu", build_relu);
  r.add("", "Sigmoid", build_sigmoid);
  r.add("", "Sqrt", build_sqrt);
  r.add("", "Tanh", build_tanh);
}

} // namespace tilescope::engine::onednn
