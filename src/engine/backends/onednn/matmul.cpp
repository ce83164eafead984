// MatMul (numpy semantics) as a oneDNN matmul on plain layouts. Operands get
// leading 1s up to the output's rank; oneDNN broadcasts batch dims of size 1.
// 1-D operands (vector products) go to the fallback.
#include "backends/onednn/kernel_registry.h"

namespace tilescope::engine::onednn {
namespace {

Dims padded(const Shape& shape, std::size_t rank) {
  Dims dims(rank - shape.size(), 1);
  dims.insert(dims.end(), shape.begin(), shape.end());
  return dims;
}

bool build_mat_mul(Compiler& c, const Node& node) {
  if (!all_f32(c, node)) return false;
  const Shape& a = c.type(node.inputs[0]).shape;
  const Shape& b = c.type(node.inputs[1]).shape;
  const Shape& y = c.type(node.outputs[0]).shape;
  if (a.size() < 2 || b.size() < 2 || y.size() < 2 || c.constant(node.inputs[0]) != nullptr) return false;
  const Dims a_dims = padded(a, y.size());
  const Dims b_dims = padded(b, y.size());
  auto pd = try_primitive_desc<dnnl::matmul::primitive_desc>(
      dnnl::matmul::desc(plain_md(a_dims), plain_md(b_dims), plain_md(y)), c.attr(), c.engine());
  if (!pd) return false;
  c.add_primitive("MatMul", dnnl::matmul(*pd),
                  {{DNNL_ARG_SRC, c.read_reshaped(node.inputs[0], a_dims)},
                   {DNNL_ARG_WEIGHTS, c.read_reshaped(node.inputs[1], b_dims)},
                   {DNNL_ARG_DST, c.define(node.outputs[0], plain_md(y))}},
                  pd->scratchpad_desc());
  return true;
}

} // namespace

void register_matmul_kernels(KernelRegistry& r) { r.add("", "MatMul", build_mat_mul); }

} // namespace tilescope::engine::onednn
