// BatchNormalization (inference form) as a oneDNN batch normalization with
// global statistics, for the cases the Conv+BN fusion pass leaves (BN after a
// non-conv op, or fusion off). Runs on the input's layout, in place when possible.
#include "backends/onednn/kernel_registry.h"

namespace tilescope::engine::onednn {
namespace {

bool build_batch_norm(Compiler& c, const Node& node) {
  // Training mode (running statistics outputs) and non-constant parameters go
  // to the fallback.
  if (node.outputs.size() != 1 || node.inputs.size() != 5 || !all_f32(c, node)) return false;
  for (std::size_t i = 1; i < 5; ++i) {
    if (c.constant(node.inputs[i]) == nullptr) return false;
  }
  const std::string& input = node.inputs[0];
  const Shape& shape = c.type(input).shape;
  if (shape.size() < 2) return false;
  for (std::size_t i = 1; i < 5; ++i) {
    if (c.type(node.inputs[i]).shape != Shape{shape[1]}) return false;
  }
  const float epsilon = node.attrs.get_float("epsilon", 1e-5f);
  using Flags = dnnl::normalization_flags;
  const Md md = c.layout(input);
  auto pd = try_primitive_desc<dnnl::batch_normalization_forward::primitive_desc>(
      dnnl::batch_normalization_forward::desc(dnnl::prop_kind::forward_inference, md, epsilon,
                                              Flags::use_global_stats | Flags::use_scale | Flags::use_shift),
      c.attr(), c.engine());
  if (!pd) return false;
  const MemRef src = c.read_as_is(input);
  const MemRef dst = c.define_reusing(node, node.outputs[0], input, src);
  c.add_primitive("BatchNormalization", dnnl::batch_normalization_forward(*pd),
                  {{DNNL_ARG_SRC, src},
                   {DNNL_ARG_SCALE, c.read_plain(node.inputs[1])},
                   {DNNL_ARG_SHIFT, c.read_plain(node.inputs[2])},
                   {DNNL_ARG_MEAN, c.read_plain(node.inputs[3])},
                   {DNNL_ARG_VARIANCE, c.read_plain(node.inputs[4])},
                   {DNNL_ARG_DST, dst}},
                  pd->scratchpad_desc());
  return true;
}

} // namespace

void register_batch_norm_kernels(KernelRegistry& r) { r.add("", "BatchNormalization", build_batch_norm); }

} // namespace tilescope::engine::onednn
