// Ops that only reinterpret or reorder data.
//
// Reshape, Flatten, Squeeze, Unsqueeze and Identity are views: the output
// shares the input's bytes under the new dims. A dense value keeps its layout
// when oneDNN can express the reshape in it (splitting the channel dim of an
// NHWC tensor: YOLOv5's [1,255,H,W] -> [1,3,85,H,W] head); otherwise the view
// is plain, the value being reordered to plain first (once, for all readers).
// Transpose is one reorder from the input viewed with permuted axes to the
// output in the layout its readers want, or a view when that permuted view
// already is that layout or they take any dense layout.
#include "backends/onednn/kernel_registry.h"

#include <numeric>

namespace tilescope::engine::onednn {
namespace {

bool build_view(Compiler& c, const Node& node) {
  const std::string& input = node.inputs[0];
  const std::string& output = node.outputs[0];
  // Constants are folded before compile; a constant here is left to the
  // fallback, which copies it once per run (cheap and rare).
  if (!f32_nonempty(c, input) || !f32_nonempty(c, output) || c.constant(input) != nullptr) return false;
  const Dims dims = to_dims(c.type(output).shape);
  const MemRef stored = c.read_any(input);
  if (is_dense(stored.md) && !is_plain(stored.md)) {
    const Md reshaped = stored.md.reshape(dims, /*allow_empty=*/true);
    if (!reshaped.is_zero()) {
      c.define_alias(output, MemRef{stored.buffer, stored.offset, reshaped});
      return true;
    }
  }
  c.define_alias(output, c.read_reshaped(input, dims));
  return true;
}

// ONNX: output axis i is input axis perm[i]. oneDNN's permute_axes: input axis
// i becomes output axis permutation[i]. So permutation[perm[i]] = i.
bool build_transpose(Compiler& c, const Node& node) {
  const std::string& input = node.inputs[0];
  const std::string& output = node.outputs[0];
  if (!f32_nonempty(c, input) || !f32_nonempty(c, output) || c.constant(input) != nullptr) return false;
  const std::size_t rank = c.type(input).shape.size();
  std::vector<std::int64_t> perm = node.attrs.get_ints("perm");
  if (perm.empty()) {
    perm.resize(rank);
    std::iota(perm.rbegin(), perm.rend(), 0); // default: reverse the axes
  }
  if (rank == 0 || perm.size() != rank) return false;
  std::vector<int> permutation(rank, -1);
  for (std::size_t i = 0; i < rank; ++i) {
    if (perm[i] < 0 || perm[i] >= static_cast<std::int64_t>(rank) || permutation[perm[i]] >= 0) return false;
    permutation[perm[i]] = static_cast<int>(i);
  }
  MemRef src = c.read_as_is(input);
  src.md = src.md.permute_axes(permutation);
  const Dims out_dims = to_dims(c.type(output).shape);
  if (src.md.dims() != out_dims) return false;
  // The output in the layout its readers want (plain by default). When the
  // permuted input already is that (NCHW -> NHWC of a value stored NHWC), the
  // Transpose is a view.
  const std::optional<Md> wanted = readers_layout(c, output);
  const Md dst_md = wanted.value_or(plain_md(out_dims));
  // Readers that take any layout read the permuted input itself when it is
  // dense (the DFL's Transpose before its Softmax).
  if (same_layout(src.md, dst_md) || (!wanted && dense_order(src.md))) {
    c.define_alias(output, src);
    return true;
  }
  c.add_reorder(src, c.define(output, dst_md), "Transpose");
  return true;
}

} // namespace

void register_view_kernels(KernelRegistry& r) {
  r.add("", "Flatten", build_view);
  r.add("", "Identity", build_view);
  r.add("", "Reshape", build_view);
  r.add("", "Squeeze", build_view);
  r.add("", "Transpose", build_transpose);
  r.add("", "Unsqueeze", build_view);
}

} // namespace tilescope::engine::onednn
