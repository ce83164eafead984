// Shared shape rules and kernel of the ReduceX ops (ReduceMean, ReduceMax).
//
// Axes come from the "axes" attribute before opset 18 and from the optional
// int64 input 1 from opset 18 on (for these two ops; ReduceSum moved at 13).
// Empty or absent axes reduce over every dim, unless noop_with_empty_axes = 1,
// which makes the op an identity. keepdims (default 1) keeps reduced dims as 1.
// The axes input must be a load-time constant: the output shape depends on it.
//
// A reduction is the transpose of a broadcast: the keepdims-shaped output
// broadcasts to the input, so broadcast_strides() maps each input element to
// its output element and the kernel is one pass over the input in order.
//
// The functor Op provides, for T the element type and C = ComputeType<T>:
//   template <class T> static C init();             value of an empty reduction
//   static C combine(C acc, C x);                    for C = double and int64
//   static C finish(C acc, std::int64_t count);      count = elements reduced per output
#pragma once

#include "backends/reference/broadcast.h"
#include "backends/reference/numeric.h"

#include <vector>

namespace tilescope::engine::reference {

struct ReducePlan {
  Shape kept_shape;       // the output shape with keepdims = 1 (reduced dims are 1)
  Shape out_shape;        // the actual output shape
  std::int64_t count = 1; // input elements per output element
};

// Builds the plan from the node's attributes and, from opset 18, the axes
// tensor (nullptr when input 1 is absent). Throws Error naming a bad axis.
ReducePlan plan_reduce(const Attributes& attrs, std::int64_t opset, const Shape& in, const Tensor* axes);

// Infer for every ReduceX op: checks the dtype against `types`, sets output 0.
void reduce_infer(InferContext& ctx, DTypeSet types);

template <class Op> void reduce_run(const KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  const ReducePlan plan =
      plan_reduce(ctx.node.attrs, ctx.opset, x.shape(), ctx.has_input(1) ? &ctx.in(1) : nullptr);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = ComputeType<T>;
    const T* in = x.data<T>();
    std::vector<C> acc(static_cast<std::size_t>(num_elements(plan.kept_shape)), Op::template init<T>());
    const std::array<std::vector<std::int64_t>, 1> strides{broadcast_strides(plan.kept_shape, x.shape())};
    for_each_broadcast(x.shape(), strides, [&](std::int64_t i, const std::array<std::int64_t, 1>& off) {
      acc[off[0]] = Op::combine(acc[off[0]], static_cast<C>(in[i]));
    });
    T* out = ctx.out(0).data<T>();
    for (std::size_t i = 0; i < acc.size(); ++i)
      out[i] = store_as<T>(Op::finish(acc[i], plan.count));
  });
}

} // namespace tilescope::engine::reference
