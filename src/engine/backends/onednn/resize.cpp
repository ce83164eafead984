// Resize and Upsample as oneDNN resampling (nearest or linear) on the input's
// own layout (fast and layout-keeping: ONEDNN_NOTES.md pitfall 6).
//
// oneDNN maps output to input coordinates one fixed way (half-pixel based, with
// its own rounding for nearest), ONNX in many (coordinate_transformation_mode x
// nearest_mode). Rather than re-deriving which combinations agree, each node is
// checked once at compile time: the reference kernel and the oneDNN primitive
// run on the same random one-channel probe of the node's spatial size, and the
// oneDNN path is used only when they agree (exactly for nearest, to float
// rounding for linear). Otherwise the node runs on the fallback.
#include "backends/onednn/kernel_registry.h"
#include "backends/reference/op_registry.h"
#include "backends/reference/ops/resize_attrs.h"

#include <cmath>
#include <cstdint>

namespace tilescope::engine::onednn {
namespace {

// Linear interpolation in float vs the reference's double accumulation.
constexpr float kLinearTolerance = 1e-5f;

const Tensor* optional_constant(const Compiler& c, const Node& node, std::size_t i, bool* runtime) {
  if (!node.has_input(i)) return nullptr;
  const Tensor* t = c.constant(node.inputs[i]);
  if (t == nullptr) *runtime = true;
  return t;
}

// `sizes` for the probe: the node's, with N and C set to 1 (the axes they refer
// to are `axes` when given, opset 18, else all dims).
Tensor probe_sizes(const Node& node, const Tensor& sizes, std::int64_t rank) {
  std::vector<std::int64_t> values = sizes.to_int64_vector();
  std::vector<std::int64_t> axes = node.attrs.get_ints("axes");
  if (axes.empty()) {
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(values.size()); ++i)
      axes.push_back(i);
  }
  for (std::size_t i = 0; i < values.size() && i < axes.size(); ++i) {
    const std::int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 2) values[i] = 1;
  }
  return Tensor::from<std::int64_t>(Shape{static_cast<std::int64_t>(values.size())}, values);
}

// Runs the reference kernel and `alg` on a [1, 1, spatial...] probe; true when
// they agree.
bool probe_agrees(Compiler& c, const Node& node, dnnl::algorithm alg, const Shape& x, const Shape& y,
                  std::span<const Tensor* const> constants) {
  const reference::OpDef* def = reference::OpRegistry::instance().find(node.domain, node.op_type);
  if (def == nullptr || def->run == nullptr) return false;
  Shape probe_in = x;
  Shape probe_out = y;
  probe_in[0] = probe_in[1] = probe_out[0] = probe_out[1] = 1;
  Tensor in(DType::kFloat32, probe_in);
  std::uint32_t state = 12345; // fixed LCG: the check is reproducible
  for (float& v : in.values<float>()) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<float>(state >> 8) / static_cast<float>(1u << 24);
  }
  Tensor sizes;
  std::vector<const Tensor*> inputs{&in};
  for (std::size_t i = 1; i < node.inputs.size(); ++i) {
    const Tensor* t = constants[i];
    const bool is_sizes = node.op_type == "Resize" && c.opset() >= 11 && i == 3;
    if (is_sizes && t != nullptr && t->size() > 0) {
      sizes = probe_sizes(node, *t, static_cast<std::int64_t>(x.size()));
      t = &sizes;
    }
    inputs.push_back(t);
  }
  Tensor expected(DType::kFloat32, probe_out);
  Tensor* outputs[] = {&expected};
  def->run(reference::KernelContext{node, c.opset(), inputs, outputs});

  Tensor actual(DType::kFloat32, probe_out);
  dnnl::memory src(plain_md(probe_in), c.engine(), in.raw());
  dnnl::memory dst(plain_md(probe_out), c.engine(), actual.raw());
  auto pd = try_primitive_desc<dnnl::resampling_forward::primitive_desc>(
      dnnl::resampling_forward::desc(dnnl::prop_kind::forward_inference, alg, src.get_desc(), dst.get_desc()),
      c.engine());
  if (!pd) return false;
  c.run_now(dnnl::resampling_forward(*pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  const float tolerance = alg == dnnl::algorithm::resampling_nearest ? 0.0f : kLinearTolerance;
  const auto e = expected.values<float>();
  const auto a = actual.values<float>();
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (!(std::fabs(e[i] - a[i]) <= tolerance)) return false;
  }
  return true;
}

bool build_resize(Compiler& c, const Node& node) {
  const std::string& input = node.inputs[0];
  const std::string& output = node.outputs[0];
  if (!f32_nonempty(c, input) || !f32_nonempty(c, output)) return false;
  const Shape& x = c.type(input).shape;
  const Shape& y = c.type(output).shape;
  if (x.size() < 3 || x.size() > 5 || x[0] != y[0] || x[1] != y[1]) return false;
  bool runtime = false;
  std::vector<const Tensor*> constants(node.inputs.size(), nullptr);
  for (std::size_t i = 1; i < node.inputs.size(); ++i)
    constants[i] = optional_constant(c, node, i, &runtime);
  if (runtime) return false;
  auto at = [&](std::size_t i) { return i < constants.size() ? constants[i] : nullptr; };
  ResizeAttrs a;
  if (node.op_type == "Upsample") {
    a = parse_upsample_attrs(node, c.opset(), x, at(1));
  } else if (c.opset() < 11) {
    a = parse_resize_attrs(node, c.opset(), x, nullptr, at(1), nullptr);
  } else {
    a = parse_resize_attrs(node, c.opset(), x, at(1), at(2), at(3));
  }
  if (a.mode == ResizeMode::kCubic || a.coordinate_transform == CoordinateTransform::kTfCropAndResize)
    return false;
  if (a.scales[0] != 1.0 || a.scales[1] != 1.0) return false;
  const dnnl::algorithm alg = a.mode == ResizeMode::kNearest ? dnnl::algorithm::resampling_nearest
                                                             : dnnl::algorithm::resampling_linear;
  if (!probe_agrees(c, node, alg, x, y, constants)) return false;

  // bf16 in and out when the output is stored so (bf16_plan.h); u8 for max
  // pooling / nearest resize between quantized tensors (quant_plan.h).
  const auto type = c.planned_type(output);
  const Md src_md = with_type(c.stored_layout(input), type);
  const Md dst_any(to_dims(y), type, dnnl::memory::format_tag::any);
  auto pd = try_primitive_desc<dnnl::resampling_forward::primitive_desc>(
      dnnl::resampling_forward::desc(dnnl::prop_kind::forward_inference, alg, src_md, dst_any), c.attr(),
      c.engine());
  if (!pd) return false;
  // Output into a planned Concat slot (YOLO's upsample-and-concat) when a jit
  // kernel can.
  if (const MemRef* slot = c.slot(output); slot != nullptr && !same_layout(slot->md, pd->dst_desc())) {
    auto alt = try_primitive_desc<dnnl::resampling_forward::primitive_desc>(
        dnnl::resampling_forward::desc(dnnl::prop_kind::forward_inference, alg, src_md, slot->md), c.attr(),
        c.engine());
    if (alt && std::string(alt->impl_info_str()).rfind("ref", 0) != 0) pd = alt;
  }
  c.add_primitive(node.op_type, dnnl::resampling_forward(*pd),
                  {{DNNL_ARG_SRC, c.read(input, src_md)}, {DNNL_ARG_DST, c.define(output, pd->dst_desc())}},
                  pd->scratchpad_desc());
  return true;
}

} // namespace

void register_resize_kernels(KernelRegistry& r) {
  r.add("", "Resize", build_resize);
  r.add("", "Upsample", build_resize);
}

} // namespace tilescope::engine::onednn
