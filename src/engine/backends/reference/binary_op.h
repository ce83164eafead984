// The one generic implementation of element-wise binary ops with numpy
// broadcasting (Add, Sub, Mul, Div, Pow). An op file defines a functor and registers
//   r.add({"", "Add", binary_infer<AddFn>, binary_run<AddFn>});
//
// The functor Op provides:
//   static constexpr DTypeSet kTypes;       element types of input 0 (= output type)
//   static constexpr DTypeSet kRhsTypes;    optional: input 1 may then differ in type
//                                           (Pow); without it both inputs share one type
//   static double apply(double a, double b);
//   static std::int64_t apply(std::int64_t a, std::int64_t b);   used when both
//                                           inputs are integer (see numeric.h)
#pragma once

#include "backends/reference/broadcast.h"
#include "backends/reference/numeric.h"

#include <type_traits>

namespace tilescope::engine::reference {

template <class Op> constexpr bool kMixedTypeBinary = requires { Op::kRhsTypes; };

template <class Op> void binary_infer(InferContext& ctx) {
  require_dtype(ctx, 0, Op::kTypes);
  if constexpr (kMixedTypeBinary<Op>) {
    require_dtype(ctx, 1, Op::kRhsTypes);
  } else if (ctx.dtype(1) != ctx.dtype(0)) {
    ctx.fail("inputs have different element types " + std::string(dtype_name(ctx.dtype(0))) + " and " +
             std::string(dtype_name(ctx.dtype(1))));
  }
  auto shape = broadcast_shapes(ctx.shape(0), ctx.shape(1));
  if (!shape)
    ctx.fail("cannot broadcast shapes " + shape_str(ctx.shape(0)) + " and " + shape_str(ctx.shape(1)));
  ctx.set_output(0, ctx.dtype(0), std::move(*shape));
}

namespace detail {

template <class Op, class TA, class TB> void binary_loop(const Tensor& a, const Tensor& b, Tensor& out) {
  // Integer arithmetic only when both operands are integers (Pow int^float is float math).
  using C =
      std::conditional_t<std::is_floating_point_v<TA> || std::is_floating_point_v<TB>, double, std::int64_t>;
  const TA* x = a.data<TA>();
  const TB* y = b.data<TB>();
  TA* z = out.data<TA>();
  const std::array<std::vector<std::int64_t>, 2> strides{broadcast_strides(a.shape(), out.shape()),
                                                         broadcast_strides(b.shape(), out.shape())};
  for_each_broadcast(out.shape(), strides, [&](std::int64_t i, const std::array<std::int64_t, 2>& off) {
    z[i] = store_as<TA>(Op::apply(static_cast<C>(x[off[0]]), static_cast<C>(y[off[1]])));
  });
}

} // namespace detail

template <class Op> void binary_run(const KernelContext& ctx) {
  const Tensor& a = ctx.in(0);
  const Tensor& b = ctx.in(1);
  visit_dtype(a.dtype(), [&](auto ta) {
    using TA = decltype(ta);
    if constexpr (kMixedTypeBinary<Op>) {
      visit_dtype(b.dtype(), [&](auto tb) { detail::binary_loop<Op, TA, decltype(tb)>(a, b, ctx.out(0)); });
    } else {
      detail::binary_loop<Op, TA, TA>(a, b, ctx.out(0));
    }
  });
}

} // namespace tilescope::engine::reference
