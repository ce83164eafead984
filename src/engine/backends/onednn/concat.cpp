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
//
// Better than a fast copy is none: plan_concat_slots gives batch-1 channel
// Concats a buffer in the blocked layout convolutions produce anyway (nChw16c
// with AVX-512 and Winograd), or plain when their readers want plain (YOLO's
// output, assembled from boxes and class scores), before any node is built,
// and each input a dense region of it (a slot, Compiler::define). Producers that write that layout
// (Winograd convolutions, pooling and resize of blocked inputs) or can at no
// cost (1x1 convolutions: jit_1x1 runs as fast as brgconv_1x1 here) then fill
// the Concat directly, and a Split/Slice that cuts a slot at block boundaries
// hands out dense regions of it (Compiler::define_view): a YOLOv8 C2f or
// YOLO11 C3k2 block runs without a copy. Inputs that end up elsewhere are
// copied as before.
//
// int8 models (quant_plan.h): a Concat whose readers all quantize its output
// alike is stored in u8, its float inputs quantized by the copies (u8 inputs
// of the same quantization are copied as bytes). Such Concats get no slots:
// int8 convolutions write NHWC only, and a channel slice of NHWC is not dense
// (oneDNN runs its reference kernel on a strided destination); nor do bf16
// ones, for the same reason.
#include "backends/onednn/kernel_registry.h"

namespace tilescope::engine::onednn {
namespace {

std::int64_t concat_axis(const Compiler& c, const Node& node) {
  const auto rank = static_cast<std::int64_t>(c.type(node.outputs[0]).shape.size());
  std::int64_t axis = node.attrs.get_int("axis");
  return axis < 0 ? axis + rank : axis;
}

// `value` as a channel cut of another value: a Split/Slice output that keeps
// every dim but the channels.
struct ChannelCut {
  std::string parent;
  std::int64_t start = 0;
};

std::optional<ChannelCut> channel_cut(const Compiler& c, const std::string& value) {
  const std::optional<std::size_t> producer = c.graph().producer_of(value);
  if (!producer) return std::nullopt;
  const Node& node = c.graph().nodes[*producer];
  std::size_t output = 0;
  while (output < node.outputs.size() && node.outputs[output] != value)
    ++output;
  const std::optional<Dims> offsets = cut_offsets(c, node, output);
  if (!offsets) return std::nullopt;
  const Shape& parent = c.type(node.inputs[0]).shape;
  const Shape& shape = c.type(value).shape;
  if (parent.size() != shape.size() || parent.size() < 2) return std::nullopt;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (d != 1 && ((*offsets)[d] != 0 || shape[d] != parent[d])) return std::nullopt;
  }
  return ChannelCut{node.inputs[0], (*offsets)[1]};
}

// Values a producer node writes in full (not graph inputs, constants or outputs).
bool placeable(const Compiler& c, const std::string& value) {
  return c.constant(value) == nullptr && c.graph().producer_of(value).has_value() &&
         !c.graph().is_graph_output(value) && c.is_f32(value);
}

// A planned input slot of `node`: the values to place, the channels they cover.
struct SlotPlan {
  std::string value;
  std::size_t inputs = 1; // Concat inputs it stands for
  std::int64_t channels = 0;
};

std::vector<SlotPlan> slot_plans(const Compiler& c, const Node& node) {
  std::vector<SlotPlan> plans;
  for (std::size_t i = 0; i < node.inputs.size();) {
    SlotPlan plan{node.inputs[i], 1, c.type(node.inputs[i]).shape[1]};
    // Consecutive cuts that tile a parent in order (the halves of a C2f Split):
    // the parent takes the slot, and the cuts become regions of it.
    if (const std::optional<ChannelCut> first = channel_cut(c, node.inputs[i]); first && first->start == 0) {
      std::size_t next = i + 1;
      std::int64_t covered = plan.channels;
      for (; next < node.inputs.size(); ++next) {
        const std::optional<ChannelCut> cut = channel_cut(c, node.inputs[next]);
        if (!cut || cut->parent != first->parent || cut->start != covered) break;
        covered += c.type(node.inputs[next]).shape[1];
      }
      if (covered == c.type(first->parent).shape[1]) plan = SlotPlan{first->parent, next - i, covered};
    }
    plans.push_back(plan);
    i += plan.inputs;
  }
  return plans;
}

} // namespace

namespace {

// The layout of a planned Concat buffer: plain when its readers want plain (a
// Reshape, a graph output: any channel cut of a batch-1 plain tensor is
// dense), else the blocked layout of the convolutions when every input starts
// on a block. nullopt: not planned.
std::optional<Md> planned_layout(const Compiler& c, const Node& node) {
  const Dims out_dims = to_dims(c.type(node.outputs[0]).shape);
  if (out_dims.size() < 2 || out_dims[0] != 1 || concat_axis(c, node) != 1) return std::nullopt;
  if (const std::optional<Md> wanted = readers_layout(c, node.outputs[0]))
    return is_plain(*wanted) ? wanted : std::nullopt;
  const int block = blocked_conv_channel_block(c);
  if (block == 0 || out_dims.size() != 4) return std::nullopt;
  // The inputs not placed are copied into their region: a blocked sub-memory
  // must start on a block.
  for (const std::string& input : node.inputs) {
    if (c.type(input).shape[1] % block != 0) return std::nullopt;
  }
  return channel_blocked_md(out_dims, block);
}

} // namespace

void plan_concat_slots(Compiler& c) {
  for (const Node& node : c.graph().nodes) {
    if (node.op_type != "Concat" || !node.domain.empty() || !all_f32(c, node)) continue;
    const std::string& output = node.outputs[0];
    if (c.planned_type(output) != dnnl::memory::data_type::f32) continue;
    if (c.slot(output) != nullptr) continue;
    const std::optional<Md> md = planned_layout(c, node);
    if (!md) continue;
    const MemRef whole = c.new_arena_ref(*md);
    c.plan_slot(output, whole);
    Dims offsets(md->dims().size(), 0);
    for (const SlotPlan& plan : slot_plans(c, node)) {
      Dims dims = md->dims();
      dims[1] = plan.channels;
      const std::optional<DenseRegion> region = dense_region(whole.md, dims, offsets);
      if (region && placeable(c, plan.value)) {
        c.plan_slot(plan.value, MemRef{whole.buffer, whole.offset + region->byte_offset, region->md});
      }
      offsets[1] += plan.channels;
    }
  }
}

namespace {

// `src` copied into the region at `offsets` of `dst`, unless it is already
// there (its producer wrote its slot). `src_q`, `dst_q`: the u8 sides'
// quantizations (a u8 Concat quantizes float inputs as it copies them).
void copy_region(Compiler& c, const MemRef& src, const std::optional<Quant>& src_q, const MemRef& dst,
                 const std::optional<Quant>& dst_q, const Dims& dims, const Dims& offsets) {
  if (const std::optional<DenseRegion> region = dense_region(dst.md, dims, offsets)) {
    const MemRef target{dst.buffer, dst.offset + region->byte_offset, region->md};
    if (src.buffer == target.buffer && src.offset == target.offset && same_layout(src.md, target.md)) return;
    c.add_quant_reorder(src, src_q, target, dst_q, "Concat");
    return;
  }
  c.add_quant_reorder(src, src_q, MemRef{dst.buffer, dst.offset, dst.md.submemory_desc(dims, offsets)}, dst_q,
                      "Concat");
}

bool build_concat(Compiler& c, const Node& node) {
  if (!all_f32(c, node)) return false;
  const std::string& output = node.outputs[0];
  const Dims out_dims = to_dims(c.type(output).shape);
  const auto rank = static_cast<std::int64_t>(c.type(output).shape.size());
  std::int64_t axis = node.attrs.get_int("axis");
  if (axis < 0) axis += rank;
  if (rank == 0 || axis < 0 || axis >= rank) return false;

  std::optional<Md> dst_md = readers_layout(c, output);
  if (const MemRef* planned = c.slot(output)) dst_md = planned->md;
  if (!dst_md) {
    dst_md = plain_md(out_dims);
    for (const std::string& input : node.inputs) {
      if (c.constant(input) == nullptr) {
        dst_md = same_order(c.layout(input), out_dims);
        break;
      }
    }
  }
  // bf16 mode (bf16_plan.h): bf16 inputs concatenated in bf16; int8 models
  // (quant_plan.h): inputs quantized for the readers as they are copied. Never
  // planned (slots are f32: plain for plain readers, blocked for Winograd).
  if (const auto type = c.planned_type(output); c.slot(output) == nullptr && type != dst_md->data_type())
    dst_md = with_type(*dst_md, type);
  const MemRef dst = c.define(output, *dst_md);
  const std::optional<Quant> dst_q = dst.md.data_type() == dnnl::memory::data_type::u8
                                         ? std::optional<Quant>(*c.quant(output))
                                         : std::nullopt;
  Dims dst_offsets(out_dims.size(), 0);
  for (std::size_t i = 0; i < node.inputs.size();) {
    MemRef src = c.read_any(node.inputs[i]);
    const std::optional<Quant> src_q = c.stored_quant(node.inputs[i]);
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
      if (const std::optional<DenseRegion> region = dense_region(first->parent.md, dims, first->offsets)) {
        src = MemRef{first->parent.buffer, first->parent.offset + region->byte_offset, region->md};
      } else {
        src = MemRef{first->parent.buffer, first->parent.offset,
                     first->parent.md.submemory_desc(dims, first->offsets)};
      }
    }
    copy_region(c, src, src_q, dst, dst_q, dims, dst_offsets);
    dst_offsets[axis] += dims[axis];
    i = next;
  }
  return true;
}

} // namespace

void register_concat_kernels(KernelRegistry& r) { r.add("", "Concat", build_concat); }

} // namespace tilescope::engine::onednn
