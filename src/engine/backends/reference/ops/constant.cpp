// Constant: outputs the tensor held by exactly one of its attributes: `value`
// (a tensor), `value_float` / `value_int` (scalars: float32 / int64) or
// `value_floats` / `value_ints` (1-D). String and sparse values are not
// supported: the engine has no string or sparse tensors.
#include "backends/reference/ops/data_movement.h"

#include <cstring>
#include <string>

namespace tilescope::engine::reference {
namespace {

constexpr const char* kValueAttributes[] = {"value",      "value_float",  "value_floats",  "value_int",
                                            "value_ints", "value_string", "value_strings", "sparse_value"};

// Builds the constant described by the node's attributes, or returns the reason
// it cannot (empty tensor + message).
Tensor make_value(const Node& node, std::string& error) {
  const char* found = nullptr;
  for (const char* name : kValueAttributes) {
    if (!node.attrs.has(name)) continue;
    if (found != nullptr) {
      error =
          std::string("has both '") + found + "' and '" + name + "'; exactly one value attribute is allowed";
      return {};
    }
    found = name;
  }
  if (found == nullptr) {
    error = "has no value attribute (value, value_float(s), value_int(s))";
    return {};
  }
  const std::string name = found;
  const Attributes& a = node.attrs;
  if (name == "value") return a.get_tensor(name).clone();
  if (name == "value_float") return Tensor::scalar<float>(a.get_float(name, 0.0f));
  if (name == "value_int") return Tensor::scalar<std::int64_t>(a.get_int(name));
  if (name == "value_floats") {
    const std::vector<float> v = a.get_floats(name);
    return Tensor::from<float>({static_cast<std::int64_t>(v.size())}, v);
  }
  if (name == "value_ints") {
    const std::vector<std::int64_t> v = a.get_ints(name);
    return Tensor::from<std::int64_t>({static_cast<std::int64_t>(v.size())}, v);
  }
  error = "attribute '" + name + "' is not supported: the engine has no string or sparse tensors";
  return {};
}

void infer(InferContext& ctx) {
  std::string error;
  const Tensor value = make_value(ctx.node(), error);
  if (!error.empty()) ctx.fail(error);
  ctx.set_output(0, value.dtype(), value.shape());
}

void run(const KernelContext& ctx) {
  std::string error;
  const Tensor value = make_value(ctx.node, error);
  if (!error.empty()) throw Error(ctx.node.describe() + ": " + error);
  std::memcpy(ctx.out(0).raw(), value.raw(), value.nbytes());
}

} // namespace

void register_constant(OpRegistry& r) { r.add({"", "Constant", infer, run}); }

} // namespace tilescope::engine::reference
