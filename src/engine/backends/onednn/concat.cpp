// Concat as one reorder per source into its slice (a sub-memory) of the output.
//
// Why not oneDNN's concat primitive: its implementation (simple:any) copies at
// 4 GB/s here, 3x (NHWC, C2f) to 11x (plain [1,4,8400]+[1,80,8400], the YOLOv8
// output) slower than reorders into sub-memories, measured single-threaded on
// the project's machine. Reorders also read strided sources, so Split/Slice
// views (slice.cpp) feed a Concat without a copy of their own, and can write
// any output layout at the cost of a copy: the output takes the layout its
// readers want (plain before a Reshape: the NHWC -> NCHW conversion is folded
// into the concat), else the first runtime source's dimension order (NHWC
// after convolutions; plain when that source is blocked).
#include "backends/onednn/kernel_registry.h"

namespace tilescope::engine::onednn {
namespace {

bool build_concat(Compiler& c, const Node& node) {
  if (!all_f32(c, node)) return false;
  const std::string& output = node.outputs[0];
  const Dims out_dims = to_dims(c.type(output).shape);
  const auto rank = static_cast<std::int64_t>(c.type(output).shape.size());
  std::int64_t axis = node.attrs.get_int("axis");
  if (axis < 0) axis += rank;
  if (rank == 0 || axis < 0 || axis >= rank) return false;

  std::optional<Md> dst_md = readers_layout(c, output);
  if (!dst_md) {
    dst_md = plain_md(out_dims);
    for (const std::string& input : node.inputs) {
      if (c.constant(input) == nullptr) {
        dst_md = same_order(c.layout(input), out_dims);
        break;
      }
    }
  }
  const MemRef dst = c.define(output, *dst_md);
  Dims dst_offsets(out_dims.size(), 0);
  for (std::size_t i = 0; i < node.inputs.size();) {
    MemRef src = c.read_any(node.inputs[i]);
    Dims dims = to_dims(c.type(node.inputs[i]).shape);
    std::size_t next = i + 1;
    // Consecutive views of one parent that tile it along the axis (the two
    // halves of a C2f Split) are copied as one region: one step, not two.
    if (const Compiler::ViewOf* first = c.view_of(node.inputs[i])) {
      for (; next < node.inputs.size(); ++next) {
        const Compiler::ViewOf* view = c.view_of(node.inputs[next]);
        if (view == nullptr || view->parent.buffer != first->parent.buffer ||
            view->parent.offset != first->parent.offset || view->parent.md != first->parent.md) {
          break;
        }
        Dims expected = first->offsets;
        expected[axis] += dims[axis];
        const Dims next_dims = to_dims(c.type(node.inputs[next]).shape);
        bool adjacent = view->offsets == expected;
        for (std::size_t d = 0; d < dims.size(); ++d)
          adjacent = adjacent && (d == static_cast<std::size_t>(axis) || next_dims[d] == dims[d]);
        if (!adjacent) break;
        dims[axis] += next_dims[axis];
      }
      src = MemRef{first->parent.buffer, first->parent.offset,
                   first->parent.md.submemory_desc(dims, first->offsets)};
    }
    c.add_reorder(src, MemRef{dst.buffer, dst.offset, dst.md.submemory_desc(dims, dst_offsets)}, "Concat");
    dst_offsets[axis] += dims[axis];
    i = next;
  }
  return true;
}

} // namespace

void register_concat_kernels(KernelRegistry& r) { r.add("", "Concat", build_concat); }

} // namespace tilescope::engine::onednn
