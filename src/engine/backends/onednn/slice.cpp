// Split and Slice (step 1) as views: each output is a sub-memory of the input,
// sharing its buffer, with no step of its own.
//
// Why not zero-copy all the way: a convolution reading a strided channel slice
// of an NHWC tensor falls back to oneDNN's reference kernel, ~300x slower
// (ONEDNN_NOTES.md pitfall 1). So readers that need dense data (convolutions,
// eltwise, ...) get a copy made once, on first read (Compiler::read); readers
// that are reorders anyway (Concat, the `sum` copy of FusedConv, fallback
// staging, graph outputs) read the view directly. In a YOLOv8 C2f block the
// first half of the split then costs nothing: only the Concat reads it.
// Blocked inputs are cut from a plain copy (a sub-memory may not start inside
// a block).
#include "backends/onednn/kernel_registry.h"

#include <algorithm>

namespace tilescope::engine::onednn {
namespace {

// The input as a reference that can be cut at any offset.
MemRef cuttable(Compiler& c, const std::string& input) {
  const MemRef stored = c.read_any(input);
  const dnnl_memory_desc_t& d = stored.md.data;
  const bool blocked = d.format_kind != dnnl_blocked || d.format_desc.blocking.inner_nblks > 0;
  return blocked ? c.read_plain(input) : stored;
}

// Output sizes come from shape inference, so the split sizes (attribute,
// input or num_outputs, by opset) need no second parsing here.
bool build_split(Compiler& c, const Node& node) {
  const std::string& input = node.inputs[0];
  if (!f32_nonempty(c, input)) return false;
  for (const std::string& output : node.outputs) {
    if (output.empty() || !f32_nonempty(c, output)) return false;
  }
  const Shape& in = c.type(input).shape;
  std::int64_t axis = node.attrs.get_int("axis", 0);
  if (axis < 0) axis += static_cast<std::int64_t>(in.size());
  const MemRef src = cuttable(c, input);
  Dims offsets(in.size(), 0);
  for (const std::string& output : node.outputs) {
    c.define_view(output, src, offsets);
    offsets[axis] += c.type(output).shape[axis];
  }
  return true;
}

// Slice-10+: starts/ends/axes/steps inputs, Slice-1: attributes. Only step 1 is
// mapped; negative starts count from the end and clamp to [0, dim] (spec). The
// output dims come from shape inference.
bool build_slice(Compiler& c, const Node& node) {
  const std::string& input = node.inputs[0];
  const std::string& output = node.outputs[0];
  if (!f32_nonempty(c, input) || !f32_nonempty(c, output)) return false;
  std::vector<std::int64_t> starts, axes, steps;
  if (c.opset() < 10) {
    starts = node.attrs.get_ints("starts");
    axes = node.attrs.get_ints("axes");
  } else {
    auto ints = [&](std::size_t i, std::vector<std::int64_t>& out) {
      if (!node.has_input(i)) return true;
      const Tensor* t = c.constant(node.inputs[i]);
      if (t == nullptr) return false;
      out = t->to_int64_vector();
      return true;
    };
    if (!ints(1, starts) || !ints(3, axes) || !ints(4, steps)) return false;
  }
  const Shape& in = c.type(input).shape;
  const auto rank = static_cast<std::int64_t>(in.size());
  Dims offsets(in.size(), 0);
  for (std::size_t i = 0; i < starts.size(); ++i) {
    if (!steps.empty() && steps[i] != 1) return false;
    std::int64_t axis = axes.empty() ? static_cast<std::int64_t>(i) : axes[i];
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return false;
    const std::int64_t dim = in[axis];
    const std::int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    offsets[axis] = std::clamp<std::int64_t>(start, 0, dim);
  }
  c.define_view(output, cuttable(c, input), offsets);
  return true;
}

} // namespace

void register_slice_kernels(KernelRegistry& r) {
  r.add("", "Slice", build_slice);
  r.add("", "Split", build_split);
}

} // namespace tilescope::engine::onednn
