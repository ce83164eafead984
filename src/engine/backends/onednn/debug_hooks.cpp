#include "backends/onednn/debug_hooks.h"

#include <algorithm>
#include <cstdlib>

namespace tilescope::engine::onednn {
namespace {

constexpr const char* kFaultVariable = "TILESCOPE_FAULT_NODE";

// Multiplies the elements alternately by 1.1 and 0.9: every element moves by
// 10% of itself, and the tensor's mean barely changes, so the fault shows in
// relative error and cosine similarity rather than as a plain rescale.
class PerturbOp final : public CustomOp {
public:
  explicit PerturbOp(Tensor* plain) : plain_(plain) {}
  void run(std::span<const Tensor* const>) override {
    float* x = plain_->data<float>();
    for (std::int64_t i = 0; i < plain_->size(); ++i)
      x[i] *= i % 2 == 0 ? 1.1f : 0.9f;
  }

private:
  Tensor* plain_;
};

void add_fault_steps(Compiler& c, const Node& node, const std::string& value) {
  const std::string where = std::string(kFaultVariable) + "=" + node.name + ": output '" + value + "'";
  if (!c.is_defined(value)) throw Error(where + " is not stored by the onednn backend");
  if (!c.is_f32(value)) {
    throw Error(where + " is " + std::string(dtype_name(c.type(value).dtype)) +
                "; only float32 outputs can be perturbed");
  }
  const MemRef stored = c.read_any(value);
  const StorageKind kind = c.buffers().at(stored.buffer).kind;
  if (kind == StorageKind::kInput || kind == StorageKind::kConstant) {
    throw Error(where + " shares storage with a graph input or constant; pick another node");
  }
  auto [plain, plain_ref] = c.owned_tensor(DType::kFloat32, c.type(value).shape);
  // u8 values (quant_plan.h) are dequantized and quantized back around it.
  const std::optional<Quant> q = c.stored_quant(value);
  c.add_quant_reorder(stored, q, plain_ref, std::nullopt, "Fault");
  c.add_custom("Fault", std::make_unique<PerturbOp>(plain), std::span<const MemRef>(&plain_ref, 1));
  c.add_quant_reorder(plain_ref, std::nullopt, stored, q, "Fault");
}

} // namespace

DebugHooks DebugHooks::from_environment(bool capture) {
  DebugHooks hooks;
  hooks.capture = capture;
  if (const char* env = std::getenv(kFaultVariable); env != nullptr) hooks.fault_node = env;
  return hooks;
}

bool DebugHooks::fault_matches(const Node& node) const {
  if (fault_node.empty()) return false;
  return node.name == fault_node ||
         std::find(node.fused_from.begin(), node.fused_from.end(), fault_node) != node.fused_from.end();
}

void add_debug_steps(Compiler& c, const Node& node, const DebugHooks& hooks,
                     std::vector<std::pair<std::string, const Tensor*>>& captures) {
  if (hooks.fault_matches(node)) {
    for (const std::string& value : node.outputs) {
      if (!value.empty()) add_fault_steps(c, node, value);
    }
  }
  if (!hooks.capture) return;
  for (const std::string& value : node.outputs) {
    if (value.empty() || !c.is_defined(value) || !c.is_f32(value)) continue;
    const Shape& shape = c.type(value).shape;
    if (num_elements(shape) == 0) continue;
    auto [copy, copy_ref] = c.owned_tensor(DType::kFloat32, shape);
    c.add_quant_reorder(c.read_any(value), c.stored_quant(value), copy_ref, std::nullopt, "Capture");
    captures.emplace_back(value, copy);
  }
}

} // namespace tilescope::engine::onednn
