// Add, Sub, Mul, Div as oneDNN binary primitives.
//
// oneDNN's binary wants src0 with the output's dims and src1 of the same rank,
// each dim equal or 1 (ONEDNN_NOTES.md pitfall 5: a rank mismatch or an `any`
// src0 fails). So: src0 is the full-size operand in its own layout (swapped in
// for commutative ops when it comes second), src1 is either the same shape in
// src0's layout or a broadcast operand, plain with leading 1s added. Operands
// where both broadcast, or a broadcasting first operand of Sub/Div, run on the
// fallback.
#include "backends/onednn/kernel_registry.h"

namespace tilescope::engine::onednn {
namespace {

bool build_binary(Compiler& c, const Node& node, dnnl::algorithm alg, bool commutative) {
  if (node.inputs.size() != 2 || !all_f32(c, node)) return false;
  const std::string& output = node.outputs[0];
  const Shape& out_shape = c.type(output).shape;
  std::string a = node.inputs[0];
  std::string b = node.inputs[1];
  // A constant src0 works (read from its buffer, the output goes elsewhere),
  // but a runtime one may be updated in place: prefer that when both fit.
  const bool b_fits = c.type(b).shape == out_shape;
  if (c.type(a).shape != out_shape || (commutative && b_fits && c.constant(a) != nullptr)) {
    if (!commutative || !b_fits) return false;
    std::swap(a, b);
  }
  const Dims out_dims = to_dims(out_shape);
  const Shape& b_shape = c.type(b).shape;
  Dims b_dims(out_dims.size() - std::min(out_dims.size(), b_shape.size()), 1);
  b_dims.insert(b_dims.end(), b_shape.begin(), b_shape.end());
  if (b_dims.size() != out_dims.size()) return false;

  const Md src0_md = c.layout(a);
  const bool same_shape = b_shape == out_shape;
  const Md src1_md = same_shape ? src0_md : plain_md(b_dims);
  auto pd = try_primitive_desc<dnnl::binary::primitive_desc>(
      dnnl::binary::desc(alg, src0_md, src1_md, src0_md), c.attr(), c.engine());
  if (!pd) return false;
  const MemRef src0 = c.read_as_is(a);
  const MemRef src1 = same_shape ? c.read(b, src0_md) : c.read_reshaped(b, b_dims);
  const MemRef dst = c.define_reusing(node, output, a, src0);
  c.add_primitive(node.op_type, dnnl::binary(*pd),
                  {{DNNL_ARG_SRC_0, src0}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, dst}},
                  pd->scratchpad_desc());
  return true;
}

bool build_add(Compiler& c, const Node& node) {
  return build_binary(c, node, dnnl::algorithm::binary_add, true);
}
bool build_sub(Compiler& c, const Node& node) {
  return build_binary(c, node, dnnl::algorithm::binary_sub, false);
}
bool build_div(Compiler& c, const Node& node) {
  return build_binary(c, node, dnnl::algorithm::binary_div, false);
}

bool build_mul(Compiler& c, const Node& node) {
  if (build_swish(c, node)) return true;
  return build_binary(c, node, dnnl::algorithm::binary_mul, true);
}

} // namespace

void register_binary_kernels(KernelRegistry& r) {
  r.add("", "Add", build_add);
  r.add("", "Div", build_div);
  r.add("", "Mul", build_mul);
  r.add("", "Sub", build_sub);
}

} // namespace tilescope::engine::onednn
