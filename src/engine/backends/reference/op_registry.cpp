#include "backends/reference/op_registry.h"

namespace tilescope::engine::reference {

// One declaration and one call per op file, sorted by name.
void register_add(OpRegistry& r);
void register_average_pool(OpRegistry& r);
void register_batch_normalization(OpRegistry& r);
void register_cast(OpRegistry& r);
void register_clip(OpRegistry& r);
void register_concat(OpRegistry& r);
void register_constant(OpRegistry& r);
void register_constant_of_shape(OpRegistry& r);
void register_conv(OpRegistry& r);
void register_dequantize_linear(OpRegistry& r);
void register_div(OpRegistry& r);
void register_equal(OpRegistry& r);
void register_exp(OpRegistry& r);
void register_expand(OpRegistry& r);
void register_flatten(OpRegistry& r);
void register_fused_conv(OpRegistry& r);
void register_gather(OpRegistry& r);
void register_gemm(OpRegistry& r);
void register_global_average_pool(OpRegistry& r);
void register_hard_sigmoid(OpRegistry& r);
void register_hard_swish(OpRegistry& r);
void register_identity(OpRegistry& r);
void register_leaky_relu(OpRegistry& r);
void register_mat_mul(OpRegistry& r);
void register_max_pool(OpRegistry& r);
void register_mul(OpRegistry& r);
void register_pad(OpRegistry& r);
void register_pow(OpRegistry& r);
void register_qconv(OpRegistry& r);
void register_quantize_linear(OpRegistry& r);
void register_range(OpRegistry& r);
void register_reduce_max(OpRegistry& r);
void register_reduce_mean(OpRegistry& r);
void register_relu(OpRegistry& r);
void register_reshape(OpRegistry& r);
void register_resize(OpRegistry& r);
void register_shape(OpRegistry& r);
void register_sigmoid(OpRegistry& r);
void register_slice(OpRegistry& r);
void register_softmax(OpRegistry& r);
void register_split(OpRegistry& r);
void register_sqrt(OpRegistry& r);
void register_squeeze(OpRegistry& r);
void register_sub(OpRegistry& r);
void register_tanh(OpRegistry& r);
void register_transpose(OpRegistry& r);
void register_unsqueeze(OpRegistry& r);
void register_upsample(OpRegistry& r);
void register_where(OpRegistry& r);

namespace {

OpRegistry build() {
  OpRegistry r;
  register_add(r);
  register_average_pool(r);
  register_batch_normalization(r);
  register_cast(r);
  register_clip(r);
  register_concat(r);
  register_constant(r);
  register_constant_of_shape(r);
  register_conv(r);
  register_dequantize_linear(r);
  register_div(r);
  register_equal(r);
  register_exp(r);
  register_expand(r);
  register_flatten(r);
  register_fused_conv(r);
  register_gather(r);
  register_gemm(r);
  register_global_average_pool(r);
  register_hard_sigmoid(r);
  register_hard_swish(r);
  register_identity(r);
  register_leaky_relu(r);
  register_mat_mul(r);
  register_max_pool(r);
  register_mul(r);
  register_pad(r);
  register_pow(r);
  register_qconv(r);
  register_quantize_linear(r);
  register_range(r);
  register_reduce_max(r);
  register_reduce_mean(r);
  register_relu(r);
  register_reshape(r);
  register_resize(r);
  register_shape(r);
  register_sigmoid(r);
  register_slice(r);
  register_softmax(r);
  register_split(r);
  register_sqrt(r);
  register_squeeze(r);
  register_sub(r);
  register_tanh(r);
  register_transpose(r);
  register_unsqueeze(r);
  register_upsample(r);
  register_where(r);
  return r;
}

} // namespace

InferContext::InferContext(const Node& node, std::int64_t opset, std::vector<const ValueType*> inputs,
                           std::vector<const Tensor*> constants)
    : node_(node), opset_(opset), inputs_(std::move(inputs)), constants_(std::move(constants)),
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
  if (i >= outputs_.size()) return; // optional output not requested by the graph
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
  for (const auto& [key, def] : ops_)
    names.push_back(key.first.empty() ? key.second : key.first + "." + key.second);
  return names;
}

const OpRegistry& OpRegistry::instance() {
  static const OpRegistry registry = build();
  return registry;
}

} // namespace tilescope::engine::reference
