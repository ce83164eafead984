#include "backends/reference/op_registry.h"

namespace tilescope::engine::reference {

// One line per op file, sorted by name. (Declared weak while the op files are
// being written; a missing one is simply not registered.)
#define TS_OP __attribute__((weak))
TS_OP void register_add(OpRegistry& r);
TS_OP void register_average_pool(OpRegistry& r);
TS_OP void register_batch_normalization(OpRegistry& r);
TS_OP void register_cast(OpRegistry& r);
TS_OP void register_clip(OpRegistry& r);
TS_OP void register_concat(OpRegistry& r);
TS_OP void register_constant(OpRegistry& r);
TS_OP void register_constant_of_shape(OpRegistry& r);
TS_OP void register_conv(OpRegistry& r);
TS_OP void register_div(OpRegistry& r);
TS_OP void register_exp(OpRegistry& r);
TS_OP void register_expand(OpRegistry& r);
TS_OP void register_flatten(OpRegistry& r);
TS_OP void register_fused_conv(OpRegistry& r);
TS_OP void register_gather(OpRegistry& r);
TS_OP void register_gemm(OpRegistry& r);
TS_OP void register_global_average_pool(OpRegistry& r);
TS_OP void register_hard_sigmoid(OpRegistry& r);
TS_OP void register_hard_swish(OpRegistry& r);
TS_OP void register_identity(OpRegistry& r);
TS_OP void register_leaky_relu(OpRegistry& r);
TS_OP void register_mat_mul(OpRegistry& r);
TS_OP void register_max_pool(OpRegistry& r);
TS_OP void register_mul(OpRegistry& r);
TS_OP void register_pad(OpRegistry& r);
TS_OP void register_pow(OpRegistry& r);
TS_OP void register_range(OpRegistry& r);
TS_OP void register_reduce_max(OpRegistry& r);
TS_OP void register_reduce_mean(OpRegistry& r);
TS_OP void register_relu(OpRegistry& r);
TS_OP void register_reshape(OpRegistry& r);
TS_OP void register_resize(OpRegistry& r);
TS_OP void register_shape(OpRegistry& r);
TS_OP void register_sigmoid(OpRegistry& r);
TS_OP void register_slice(OpRegistry& r);
TS_OP void register_softmax(OpRegistry& r);
TS_OP void register_split(OpRegistry& r);
TS_OP void register_sqrt(OpRegistry& r);
TS_OP void register_squeeze(OpRegistry& r);
TS_OP void register_sub(OpRegistry& r);
TS_OP void register_tanh(OpRegistry& r);
TS_OP void register_transpose(OpRegistry& r);
TS_OP void register_unsqueeze(OpRegistry& r);
TS_OP void register_upsample(OpRegistry& r);
#undef TS_OP

namespace {

OpRegistry build() {
  OpRegistry r;
  auto add = [&r](void (*fn)(OpRegistry&)) {
    if (fn != nullptr) fn(r);
  };
  add(register_add);
  add(register_average_pool);
  add(register_batch_normalization);
  add(register_cast);
  add(register_clip);
  add(register_concat);
  add(register_constant);
  add(register_constant_of_shape);
  add(register_conv);
  add(register_div);
  add(register_exp);
  add(register_expand);
  add(register_flatten);
  add(register_fused_conv);
  add(register_gather);
  add(register_gemm);
  add(register_global_average_pool);
  add(register_hard_sigmoid);
  add(register_hard_swish);
  add(register_identity);
  add(register_leaky_relu);
  add(register_mat_mul);
  add(register_max_pool);
  add(register_mul);
  add(register_pad);
  add(register_pow);
  add(register_range);
  add(register_reduce_max);
  add(register_reduce_mean);
  add(register_relu);
  add(register_reshape);
  add(register_resize);
  add(register_shape);
  add(register_sigmoid);
  add(register_slice);
  add(register_softmax);
  add(register_split);
  add(register_sqrt);
  add(register_squeeze);
  add(register_sub);
  add(register_tanh);
  add(register_transpose);
  add(register_unsqueeze);
  add(register_upsample);
  return r;
}

}  // namespace

InferContext::InferContext(const Node& node, std::int64_t opset, std::vector<const ValueType*> inputs,
                           std::vector<const Tensor*> constants)
    : node_(node),
      opset_(opset),
      inputs_(std::move(inputs)),
      constants_(std::move(constants)),
      outputs_(node.outputs.size()) {}

const ValueType& InferContext::input(std::size_t i) const {
  if (!has_input(i)) fail("input " + std::to_string(i) + " is missing");
  return *inputs_[i];
}

const Tensor& InferContext::require_constant(std::size_t i) const {
  const Tensor* t = constant(i);
  if (t == nullptr) {
    fail("input " + std::to_string(i) + " ('" + (i < node_.inputs.size() ? node_.inputs[i] : std::string()) +
         "') must be known at load time");
  }
  return *t;
}

void InferContext::set_output(std::size_t i, DType dtype, Shape shape) {
  if (i >= outputs_.size()) return;  // optional output not requested by the graph
  outputs_[i] = ValueType{dtype, std::move(shape)};
}

void InferContext::fail(const std::string& message) const { throw Error(node_.describe() + ": " + message); }

void OpRegistry::add(OpDef def) {
  auto key = std::make_pair(def.domain, def.op_type);
  ops_.insert_or_assign(std::move(key), std::move(def));
}

const OpDef* OpRegistry::find(std::string_view domain, std::string_view op_type) const {
  auto it = ops_.find(std::make_pair(std::string(domain), std::string(op_type)));
  return it == ops_.end() ? nullptr : &it->second;
}

std::vector<std::string> OpRegistry::op_types() const {
  std::vector<std::string> names;
  for (const auto& [key, def] : ops_) names.push_back(key.first.empty() ? key.second : key.first + "." + key.second);
  return names;
}

const OpRegistry& OpRegistry::instance() {
  static const OpRegistry registry = build();
  return registry;
}

}  // namespace tilescope::engine::reference
