// The fallback: a node oneDNN cannot run executes its reference kernel on plain
// Tensors. Inputs already held as Tensors of the right type (constants, graph
// inputs, other fallbacks' outputs) are passed as they are; values in the arena
// are first reordered into a plain staging Tensor. Outputs are Tensors the
// executable owns, which later oneDNN steps read in place (plain layout).
#include "backends/onednn/kernel_registry.h"
#include "backends/reference/op_registry.h"

#include <memory>

namespace tilescope::engine::onednn {
namespace {

Node copy_node(const Node& node) {
  Node copy;
  copy.name = node.name;
  copy.op_type = node.op_type;
  copy.domain = node.domain;
  copy.inputs = node.inputs;
  copy.outputs = node.outputs;
  copy.attrs = node.attrs.clone();
  copy.fused_from = node.fused_from;
  return copy;
}

class ReferenceOp final : public CustomOp {
public:
  struct Input {
    const Tensor* tensor = nullptr; // fixed for the executable's life
    int graph_input = -1;           // else this run's graph input
  };

  ReferenceOp(const Node& node, std::int64_t opset, reference::KernelFn fn, std::vector<Input> inputs,
              std::vector<Tensor*> outputs)
      : node_(copy_node(node)), opset_(opset), fn_(fn), inputs_(std::move(inputs)),
        outputs_(std::move(outputs)), input_ptrs_(inputs_.size()) {}

  void run(std::span<const Tensor* const> graph_inputs) override {
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      input_ptrs_[i] = inputs_[i].graph_input >= 0 ? graph_inputs[inputs_[i].graph_input] : inputs_[i].tensor;
    }
    fn_(reference::KernelContext{node_, opset_, input_ptrs_, outputs_});
  }

private:
  Node node_;
  std::int64_t opset_;
  reference::KernelFn fn_;
  std::vector<Input> inputs_;
  std::vector<Tensor*> outputs_;
  std::vector<const Tensor*> input_ptrs_;
};

} // namespace

void build_fallback(Compiler& c, const Node& node) {
  const reference::OpDef* def = reference::OpRegistry::instance().find(node.domain, node.op_type);
  if (def == nullptr || def->run == nullptr) {
    throw Error(node.describe() + ": operator is not supported (no kernel on the onednn backend)");
  }
  std::vector<ReferenceOp::Input> inputs(node.inputs.size());
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    const std::string& value = node.inputs[i];
    if (value.empty()) continue;
    const Compiler::TensorSource source = c.tensor_source(value);
    if (source.tensor != nullptr || source.input_index >= 0) {
      inputs[i] = {source.tensor, source.input_index};
      continue;
    }
    if (!c.is_f32(value)) {
      throw Error(node.describe() + ": onednn backend: input '" + value + "' is not held as a plain tensor");
    }
    const ValueType& vt = c.type(value);
    auto [staging, ref] = c.owned_tensor(vt.dtype, vt.shape);
    c.add_reorder(c.read_any(value), ref, "Reorder(fallback)");
    inputs[i].tensor = staging;
  }
  std::vector<Tensor*> outputs(node.outputs.size(), nullptr);
  for (std::size_t i = 0; i < node.outputs.size(); ++i) {
    // An absent optional output gets an empty tensor, as on the reference backend.
    outputs[i] = node.outputs[i].empty() ? c.owned_tensor(DType::kFloat32, Shape{0}).first
                                         : c.define_owned(node.outputs[i]);
  }
  c.add_custom(node.op_type + " [reference]",
               std::make_unique<ReferenceOp>(node, c.opset(), def->run, std::move(inputs), outputs), {});
}

} // namespace tilescope::engine::onednn
