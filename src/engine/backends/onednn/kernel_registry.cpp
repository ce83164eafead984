#include "backends/onednn/kernel_registry.h"

#include "backends/onednn/native_math.h"

#include <algorithm>
#include <set>

namespace tilescope::engine::onednn {
namespace {

KernelRegistry build() {
  KernelRegistry r;
  // One line per op family, sorted.
  register_batch_norm_kernels(r);
  register_binary_kernels(r);
  register_concat_kernels(r);
  register_conv_kernels(r);
  register_eltwise_kernels(r);
  register_matmul_kernels(r);
  register_pooling_kernels(r);
  register_qconv_kernels(r);
  register_resize_kernels(r);
  register_slice_kernels(r);
  register_softmax_kernels(r);
  register_view_kernels(r);
  return r;
}

} // namespace

void KernelRegistry::add(std::string domain, std::string op_type, BuildFn fn) {
  builders_.insert_or_assign(std::make_pair(std::move(domain), std::move(op_type)), fn);
}

BuildFn KernelRegistry::find(std::string_view domain, std::string_view op_type) const {
  auto it = builders_.find(std::make_pair(std::string(domain), std::string(op_type)));
  return it == builders_.end() ? nullptr : it->second;
}

const KernelRegistry& KernelRegistry::instance() {
  static const KernelRegistry registry = build();
  return registry;
}

namespace {

// What one reader wants; nullopt = any layout.
std::optional<Md> reader_layout(const Compiler& c, const Node& reader, const Dims& dims) {
  static const std::set<std::string> kPlainReaders{"Flatten", "Identity", "MatMul",
                                                   "Reshape", "Squeeze",  "Unsqueeze"};
  if (!reader.domain.empty() && reader.domain != "tilescope") return plain_md(dims);
  if (reader.op_type == "Softmax") {
    if (c.opset() < 13) return plain_md(dims);
    if (native_kernels_available()) return std::nullopt; // any axis position (softmax.cpp)
    std::int64_t axis = reader.attrs.get_int("axis", -1);
    if (axis < 0) axis += static_cast<std::int64_t>(dims.size());
    if (axis < 0 || axis >= static_cast<std::int64_t>(dims.size())) return std::nullopt;
    return innermost_md(dims, static_cast<int>(axis));
  }
  if (kPlainReaders.count(reader.op_type) != 0) return plain_md(dims);
  // Ops without a oneDNN kernel run on plain tensors.
  if (KernelRegistry::instance().find(reader.domain, reader.op_type) == nullptr) return plain_md(dims);
  return std::nullopt;
}

} // namespace

std::optional<Md> readers_layout(const Compiler& c, const std::string& value) {
  const Dims dims = to_dims(c.type(value).shape);
  std::optional<Md> wanted;
  auto agree = [&](const std::optional<Md>& md) {
    if (!md) return false;
    if (wanted && !same_layout(*wanted, *md)) return false;
    wanted = md;
    return true;
  };
  if (c.graph().is_graph_output(value) && !agree(plain_md(dims))) return std::nullopt;
  for (const Node& node : c.graph().nodes) {
    if (std::find(node.inputs.begin(), node.inputs.end(), value) == node.inputs.end()) continue;
    if (!agree(reader_layout(c, node, dims))) return std::nullopt;
  }
  return wanted;
}

bool f32_nonempty(const Compiler& c, const std::string& value) {
  const ValueType& vt = c.type(value);
  return vt.dtype == DType::kFloat32 && num_elements(vt.shape) > 0;
}

bool all_f32(const Compiler& c, const Node& node) {
  for (const std::string& v : node.inputs) {
    if (!v.empty() && !f32_nonempty(c, v)) return false;
  }
  for (const std::string& v : node.outputs) {
    if (!v.empty() && !f32_nonempty(c, v)) return false;
  }
  return true;
}

} // namespace tilescope::engine::onednn
