// Softmax as a oneDNN softmax primitive, in place when possible. Softmax-13
// normalises along one axis. oneDNN 2.6 has a jit kernel only when that axis
// is innermost in memory (else ref:any, ~100x slower: the YOLOv8 DFL softmax
// over axis 1 of [1,16,4,8400] took 100 ms), so the input is read in a layout
// with the axis innermost (one reorder unless its producer stored it so) and
// the output keeps that layout. With AVX-512 an axis that is not innermost
// runs on our own kernel instead, in the layout the input has
// (native_softmax.cpp: the DFL's Transpose then stays a view). Before opset 13 the input is seen as 2-D
// [prod(dims < axis), prod(dims >= axis)] (default axis 1), softmax over the
// second dim: plain layout already has it innermost.
#include "backends/onednn/kernel_registry.h"
#include "backends/onednn/native_softmax.h"

namespace tilescope::engine::onednn {
namespace {

bool build_softmax(Compiler& c, const Node& node) {
  if (!all_f32(c, node)) return false;
  const std::string& input = node.inputs[0];
  const std::string& output = node.outputs[0];
  const Shape& shape = c.type(input).shape;
  const auto rank = static_cast<std::int64_t>(shape.size());
  std::int64_t axis = node.attrs.get_int("axis", c.opset() < 13 ? 1 : -1);
  if (axis < 0) axis += rank;
  if (rank == 0 || axis < 0 || axis >= rank) return false;

  MemRef src;
  if (c.opset() >= 13) {
    std::vector<int> order;
    const Md current = c.layout(input);
    bool innermost = dense_order(current, &order);
    if (innermost) {
      // The innermost dim that is not 1 (size-1 dims may sit anywhere).
      while (order.size() > 1 && shape[order.back()] == 1)
        order.pop_back();
      innermost = order.back() == axis;
    }
    if (!innermost) {
      if (std::unique_ptr<NativeKernel> kernel =
              make_strided_softmax_kernel(current, static_cast<int>(axis))) {
        const MemRef in = c.read_as_is(input);
        const MemRef out = c.define_reusing(node, output, input, in);
        c.add_native("Softmax", std::move(kernel), {{DNNL_ARG_SRC, in}, {DNNL_ARG_DST, out}});
        return true;
      }
    }
    src =
        innermost ? c.read_as_is(input) : c.read(input, innermost_md(to_dims(shape), static_cast<int>(axis)));
  } else {
    std::int64_t outer = 1;
    for (std::int64_t i = 0; i < axis; ++i)
      outer *= shape[i];
    src = c.read_reshaped(input, {outer, num_elements(shape) / outer});
    axis = 1;
  }
  auto pd = try_primitive_desc<dnnl::softmax_forward::primitive_desc>(
      dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, src.md, static_cast<int>(axis)),
      c.attr(), c.engine());
  if (!pd) return false;
  MemRef dst;
  if (c.opset() >= 13) {
    dst = c.define_reusing(node, output, input, src);
  } else {
    dst = c.define(output, plain_md(shape));
    dst.md = src.md; // the same bytes seen 2-D
  }
  c.add_primitive("Softmax", dnnl::softmax_forward(*pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}},
                  pd->scratchpad_desc());
  return true;
}

} // namespace

void register_softmax_kernels(KernelRegistry& r) { r.add("", "Softmax", build_softmax); }

} // namespace tilescope::engine::onednn
