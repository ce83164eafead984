// The one generic implementation of element-wise unary ops (Relu, Sigmoid,
// Exp, ...). An op file defines a small functor and registers
//   r.add({"", "Relu", unary_infer<ReluFn>, unary_run<ReluFn>});
//
// The functor Op provides:
//   static constexpr DTypeSet kTypes;        element types it accepts
//   explicit Op(const Attributes& attrs);     parses attributes; throws Error on bad values
//   double operator()(double x) const;        used for float element types
//   std::int64_t operator()(std::int64_t x) const;   only if kTypes holds integer types
//     (without it, integer inputs would convert to double; infer rejects them first)
// The output has the input's type and shape.
#pragma once

#include "backends/reference/numeric.h"

namespace tilescope::engine::reference {

// Writes f(in[i]) to out[i] for tensors of one element type and size: f is called
// with a double for float types and an int64 for integer ones (see numeric.h).
template <class F> void map_elements(const Tensor& in, Tensor& out, F&& f) {
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in.data<T>();
    T* y = out.data<T>();
    for (std::int64_t i = 0; i < in.size(); ++i)
      y[i] = store_as<T>(f(static_cast<ComputeType<T>>(x[i])));
  });
}

template <class Op> void unary_infer(InferContext& ctx) {
  require_dtype(ctx, 0, Op::kTypes);
  try {
    Op op(ctx.node().attrs);
  } catch (const Error& e) {
    ctx.fail(e.what());
  }
  ctx.set_output(0, ctx.dtype(0), ctx.shape(0));
}

template <class Op> void unary_run(const KernelContext& ctx) {
  map_elements(ctx.in(0), ctx.out(0), Op(ctx.node.attrs));
}

} // namespace tilescope::engine::reference
