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
//
// Batch-1 channel cuts of a plain or nChw16c-blocked input at block boundaries
// are dense tensors of their own (layout.h, dense_region): those outputs are
// plain aliases into the input's buffer, which every reader takes as it is.
// With a Concat buffer planned around them (concat.cpp) a C2f/C3k2 block runs
// without a copy.
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

// The input as a reference that can be cut at `offsets` into `dims`: as stored
// when that is a dense region of it or the layout is unblocked, else a plain copy.
MemRef cuttable(Compiler& c, const std::string& input, const std::vector<std::pair<Dims, Dims>>& cuts) {
  const MemRef stored = c.read_any(input);
  bool dense = true;
  for (const auto& [dims, offsets] : cuts)
    dense = dense && dense_region(stored.md, dims, offsets).has_value();
  if (dense) return stored;
  return cuttable(c, input);
}

// Output sizes come from shape inference, so the split sizes (attribute,
// input or num_outputs, by opset) need no second parsing here.
std::optional<Dims> split_offsets(const Compiler& c, const Node& node, std::size_t output) {
  const Shape& in = c.type(node.inputs[0]).shape;
  std::int64_t axis = node.attrs.get_int("axis", 0);
  if (axis < 0) axis += static_cast<std::int64_t>(in.size());
  if (axis < 0 || axis >= static_cast<std::int64_t>(in.size())) return std::nullopt;
  Dims offsets(in.size(), 0);
  for (std::size_t i = 0; i < output; ++i) {
    if (node.outputs[i].empty()) return std::nullopt;
    offsets[axis] += c.type(node.outputs[i]).shape[axis];
  }
  return offsets;
}

// Slice-10+: starts/ends/axes/steps inputs, Slice-1: attributes. Only step 1 is
// mapped; negative starts count from the end and clamp to [0, dim] (spec). The
// output dims come from shape inference.
std::optional<Dims> slice_offsets(const Compiler& c, const Node& node) {
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
    if (!ints(1, starts) || !ints(3, axes) || !ints(4, steps)) return std::nullopt;
  }
  const Shape& in = c.type(node.inputs[0]).shape;
  const auto rank = static_cast<std::int64_t>(in.size());
  Dims offsets(in.size(), 0);
  for (std::size_t i = 0; i < starts.size(); ++i) {
    if (!steps.empty() && steps[i] != 1) return std::nullopt;
    std::int64_t axis = axes.empty() ? static_cast<std::int64_t>(i) : axes[i];
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return std::nullopt;
    const std::int64_t dim = in[axis];
    const std::int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    offsets[axis] = std::clamp<std::int64_t>(start, 0, dim);
  }
  return offsets;
}

bool build_split(Compiler& c, const Node& node) {
  const std::string& input = node.inputs[0];
  if (!f32_nonempty(c, input)) return false;
  std::vector<std::pair<Dims, Dims>> cuts;
  for (std::size_t i = 0; i < node.outputs.size(); ++i) {
    const std::string& output = node.outputs[i];
    if (output.empty() || !f32_nonempty(c, output)) return false;
    const std::optional<Dims> offsets = split_offsets(c, node, i);
    if (!offsets) return false;
    cuts.emplace_back(to_dims(c.type(output).shape), *offsets);
  }
  const MemRef src = cuttable(c, input, cuts);
  for (std::size_t i = 0; i < node.outputs.size(); ++i)
    c.define_view(node.outputs[i], src, cuts[i].second);
  return true;
}

bool build_slice(Compiler& c, const Node& node) {
  const std::string& input = node.inputs[0];
  const std::string& output = node.outputs[0];
  if (!f32_nonempty(c, input) || !f32_nonempty(c, output)) return false;
  const std::optional<Dims> offsets = slice_offsets(c, node);
  if (!offsets) return false;
  const MemRef src = cuttable(c, input, {{to_dims(c.type(output).shape), *offsets}});
  c.define_view(output, src, *offsets);
  return true;
}

} // namespace

std::optional<Dims> cut_offsets(const Compiler& c, const Node& node, std::size_t output) {
  if (!node.domain.empty() || node.inputs.empty()) return std::nullopt;
  if (node.op_type == "Split") return split_offsets(c, node, output);
  if (node.op_type == "Slice" && output == 0) return slice_offsets(c, node);
  return std::nullopt;
}

void register_slice_kernels(KernelRegistry& r) {
  r.add("", "Slice", build_slice);
  r.add("", "Split", build_split);
}

} // namespace tilescope::engine::onednn
