// Slice: numpy-style data[start:end:step] along chosen axes. Before opset 10
// starts/ends/axes are attributes (step 1); since, they are inputs 1..4 (axes and
// steps optional) and must be known at load time.
//
// Per the spec (Slice-13 text): negative axes get r added; negative starts/ends
// get dims[axis] added; then for step > 0 start and end are clamped to
// [0, dim], for step < 0 start to [0, dim-1] and end to [-1, dim-1]. The output
// dim is max(0, ceil((end - start) / step)). Steps of 0 are invalid.
#include "backends/reference/ops/data_movement.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace tilescope::engine::reference {
namespace {

struct SliceArgs {
  std::vector<std::int64_t> starts, ends, axes, steps; // axes/steps empty = default
  bool has_axes = false;
  bool has_steps = false;
};

// Where the slice of one input axis begins, its step and its output length.
struct AxisSlice {
  std::int64_t start = 0;
  std::int64_t step = 1;
  std::int64_t count = 0;
};

SliceArgs args_from_attributes(const Node& node) {
  SliceArgs a;
  a.starts = node.attrs.get_ints("starts");
  a.ends = node.attrs.get_ints("ends");
  a.has_axes = node.attrs.has("axes");
  if (a.has_axes) a.axes = node.attrs.get_ints("axes");
  return a;
}

// Resolves the effective per-axis slices (every input axis, untouched ones in
// full). Returns an error message, empty on success, so that shape inference
// can report it through ctx.fail and the kernel can rely on it having passed.
std::string resolve(const Shape& in, const SliceArgs& args, std::vector<AxisSlice>& out) {
  const auto rank = static_cast<std::int64_t>(in.size());
  out.assign(in.size(), AxisSlice{});
  for (std::size_t i = 0; i < in.size(); ++i)
    out[i].count = in[i];
  const std::size_t n = args.starts.size();
  if (args.ends.size() != n) {
    return "starts " + movement::ints_str(args.starts) + " and ends " + movement::ints_str(args.ends) +
           " differ in length";
  }
  if (args.has_axes && args.axes.size() != n) {
    return "axes " + movement::ints_str(args.axes) + " and starts " + movement::ints_str(args.starts) +
           " differ in length";
  }
  if (args.has_steps && args.steps.size() != n) {
    return "steps " + movement::ints_str(args.steps) + " and starts " + movement::ints_str(args.starts) +
           " differ in length";
  }
  std::vector<bool> seen(in.size(), false);
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t axis = args.has_axes ? args.axes[i] : static_cast<std::int64_t>(i);
    if (axis < -rank || axis >= rank) {
      return "axis " + std::to_string(axis) + " is out of range [" + std::to_string(-rank) + ", " +
             std::to_string(rank - 1) + "] for input shape " + shape_str(in);
    }
    if (axis < 0) axis += rank;
    const auto a = static_cast<std::size_t>(axis);
    if (seen[a])
      return "axes " + movement::ints_str(args.axes) + " name axis " + std::to_string(axis) + " twice";
    seen[a] = true;
    const std::int64_t step = args.has_steps ? args.steps[i] : 1;
    if (step == 0) return "steps " + movement::ints_str(args.steps) + " contain 0";
    const std::int64_t dim = in[a];
    std::int64_t start = args.starts[i];
    std::int64_t end = args.ends[i];
    // Adding dim cannot overflow: only negative values get it.
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    std::int64_t count = 0;
    // |step|, saturated so that -INT64_MIN cannot overflow; the span is at most
    // dim + 1, so saturation does not change ceil(span / |step|).
    const std::int64_t magnitude = step > 0 ? step : (step == INT64_MIN ? INT64_MAX : -step);
    if (dim > 0 && step > 0) {
      start = std::clamp<std::int64_t>(start, 0, dim);
      end = std::clamp<std::int64_t>(end, 0, dim);
      if (end > start) count = (end - start - 1) / magnitude + 1;
    } else if (dim > 0) {
      start = std::clamp<std::int64_t>(start, 0, dim - 1);
      end = std::clamp<std::int64_t>(end, -1, dim - 1);
      if (start > end) count = (start - end - 1) / magnitude + 1;
    }
    // With at most one element the step is never taken; store 1 so the kernel's
    // step * stride cannot overflow on huge steps.
    out[a] = AxisSlice{count > 0 ? start : 0, count > 1 ? step : 1, count};
  }
  return {};
}

void infer(InferContext& ctx) {
  SliceArgs args;
  if (ctx.opset() < 10) {
    if (!ctx.node().attrs.has("starts") || !ctx.node().attrs.has("ends")) {
      ctx.fail("attributes 'starts' and 'ends' are required before opset 10");
    }
    args = args_from_attributes(ctx.node());
  } else {
    args.starts = movement::constant_ints(ctx, 1, "starts");
    args.ends = movement::constant_ints(ctx, 2, "ends");
    args.has_axes = ctx.has_input(3);
    if (args.has_axes) args.axes = movement::constant_ints(ctx, 3, "axes");
    args.has_steps = ctx.has_input(4);
    if (args.has_steps) args.steps = movement::constant_ints(ctx, 4, "steps");
  }
  std::vector<AxisSlice> slices;
  if (std::string error = resolve(ctx.shape(0), args, slices); !error.empty()) ctx.fail(error);
  Shape out(slices.size());
  for (std::size_t i = 0; i < slices.size(); ++i)
    out[i] = slices[i].count;
  ctx.set_output(0, ctx.dtype(0), std::move(out));
}

void run(const KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  SliceArgs args;
  if (ctx.opset < 10) {
    args = args_from_attributes(ctx.node);
  } else {
    args.starts = ctx.in(1).to_int64_vector();
    args.ends = ctx.in(2).to_int64_vector();
    args.has_axes = ctx.has_input(3);
    if (args.has_axes) args.axes = ctx.in(3).to_int64_vector();
    args.has_steps = ctx.has_input(4);
    if (args.has_steps) args.steps = ctx.in(4).to_int64_vector();
  }
  std::vector<AxisSlice> slices;
  if (std::string error = resolve(in.shape(), args, slices); !error.empty()) {
    throw Error(ctx.node.describe() + ": " + error);
  }
  // The view starts at the first selected element; each axis steps by
  // step * stride (negative for backward slices).
  const std::vector<std::int64_t> strides = strides_of(in.shape());
  std::vector<std::int64_t> src_strides(strides.size());
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < strides.size(); ++i) {
    offset += slices[i].start * strides[i];
    src_strides[i] = slices[i].step * strides[i];
  }
  const std::size_t elem = dtype_size(in.dtype());
  movement::strided_copy(static_cast<const std::byte*>(in.raw()) + offset * static_cast<std::int64_t>(elem),
                         src_strides, ctx.out(0).shape(), elem, static_cast<std::byte*>(ctx.out(0).raw()));
}

} // namespace

void register_slice(OpRegistry& r) { r.add({"", "Slice", infer, run}); }

} // namespace tilescope::engine::reference
