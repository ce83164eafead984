// MaxPool, AveragePool and GlobalAveragePool as oneDNN pooling (v2: with
// dilation) on the input's own layout; the output layout follows (`any`).
//
// oneDNN derives the output size as floor((in + pad_l + pad_r - k') / s) + 1, so
// ceil_mode is expressed as extra right padding. For max pooling padding never
// wins (-inf); for average pooling that excludes padding it is not counted;
// only "count_include_pad with ceil_mode extra" differs (ONNX does not count
// the extra taps) and goes to the fallback.
#include "backends/onednn/kernel_registry.h"
#include "backends/reference/ops/pool_attrs.h"

namespace tilescope::engine::onednn {
namespace {

struct Window {
  Dims kernel, strides, dilation, pad_l, pad_r;
};

// Right padding that makes oneDNN's floor formula give `out` exactly, at least
// the model's end padding. Returns false when no non-negative one exists.
bool window_from(const WindowAttrs& a, Window& w, bool* extra_padding) {
  *extra_padding = false;
  for (std::size_t i = 0; i < a.spatial_rank(); ++i) {
    const std::int64_t k = (a.kernel_shape[i] - 1) * a.dilations[i] + 1;
    const std::int64_t in = a.input_size[i];
    std::int64_t pad_r = a.pads_end[i];
    if ((in + a.pads_begin[i] + pad_r - k) / a.strides[i] + 1 != a.output_size[i]) {
      pad_r = (a.output_size[i] - 1) * a.strides[i] + k - in - a.pads_begin[i];
      *extra_padding = true;
      if (pad_r < 0 || (in + a.pads_begin[i] + pad_r - k) / a.strides[i] + 1 != a.output_size[i])
        return false;
    }
    w.kernel.push_back(a.kernel_shape[i]);
    w.strides.push_back(a.strides[i]);
    w.dilation.push_back(a.dilations[i] - 1); // oneDNN counts the gaps
    w.pad_l.push_back(a.pads_begin[i]);
    w.pad_r.push_back(pad_r);
  }
  return true;
}

bool add_pooling(Compiler& c, const Node& node, dnnl::algorithm alg, const Window& w) {
  const std::string& input = node.inputs[0];
  const std::string& output = node.outputs[0];
  // bf16 in and out when the output is stored so (bf16_plan.h); u8 for max
  // pooling / nearest resize between quantized tensors (quant_plan.h).
  const auto type = c.planned_type(output);
  const Md src_md = with_type(c.stored_layout(input), type);
  const Md dst_any(to_dims(c.type(output).shape), type, dnnl::memory::format_tag::any);
  auto pd = try_primitive_desc<dnnl::pooling_v2_forward::primitive_desc>(
      dnnl::pooling_v2_forward::desc(dnnl::prop_kind::forward_inference, alg, src_md, dst_any, w.strides,
                                     w.kernel, w.dilation, w.pad_l, w.pad_r),
      c.attr(), c.engine());
  if (!pd) return false;
  // Output into a planned Concat slot (SPPF's pyramid) when a jit kernel can.
  if (const MemRef* slot = c.slot(output); slot != nullptr && !same_layout(slot->md, pd->dst_desc())) {
    auto alt = try_primitive_desc<dnnl::pooling_v2_forward::primitive_desc>(
        dnnl::pooling_v2_forward::desc(dnnl::prop_kind::forward_inference, alg, src_md, slot->md, w.strides,
                                       w.kernel, w.dilation, w.pad_l, w.pad_r),
        c.attr(), c.engine());
    if (alt && std::string(alt->impl_info_str()).rfind("ref", 0) != 0) pd = alt;
  }
  c.add_primitive(node.op_type, dnnl::pooling_v2_forward(*pd),
                  {{DNNL_ARG_SRC, c.read(input, src_md)}, {DNNL_ARG_DST, c.define(output, pd->dst_desc())}},
                  pd->scratchpad_desc());
  return true;
}

bool build_pool(Compiler& c, const Node& node) {
  // MaxPool's optional Indices output has no oneDNN counterpart here.
  if (node.outputs.size() > 1 && !node.outputs[1].empty()) return false;
  if (!f32_nonempty(c, node.inputs[0]) || !f32_nonempty(c, node.outputs[0])) return false;
  const PoolAttrs a = parse_pool_attrs(node, c.type(node.inputs[0]).shape);
  if (a.spatial_rank() < 1 || a.spatial_rank() > 3) return false;
  Window w;
  bool extra_padding = false;
  if (!window_from(a, w, &extra_padding)) return false;
  dnnl::algorithm alg = dnnl::algorithm::pooling_max;
  if (node.op_type == "AveragePool") {
    if (a.count_include_pad && extra_padding) return false;
    alg = a.count_include_pad ? dnnl::algorithm::pooling_avg_include_padding
                              : dnnl::algorithm::pooling_avg_exclude_padding;
  }
  return add_pooling(c, node, alg, w);
}

bool build_global_average_pool(Compiler& c, const Node& node) {
  if (!all_f32(c, node)) return false;
  const Shape& x = c.type(node.inputs[0]).shape;
  if (x.size() < 3 || x.size() > 5) return false;
  Window w;
  for (std::size_t i = 2; i < x.size(); ++i) {
    w.kernel.push_back(x[i]);
    w.strides.push_back(1);
    w.dilation.push_back(0);
    w.pad_l.push_back(0);
    w.pad_r.push_back(0);
  }
  return add_pooling(c, node, dnnl::algorithm::pooling_avg_exclude_padding, w);
}

} // namespace

void register_pooling_kernels(KernelRegistry& r) {
  r.add("", "AveragePool", build_pool);
  r.add("", "GlobalAveragePool", build_global_average_pool);
  r.add("", "MaxPool", build_pool);
}

} // namespace tilescope::engine::onednn
