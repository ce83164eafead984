// Softmax. Two definitions, chosen by opset:
//   opset < 13: the input is coerced to 2-D [prod(dims[:axis]), prod(dims[axis:])]
//               and each row is normalised (so axis=1 on [N,C,H,W] normalises over
//               C*H*W jointly); axis defaults to 1.
//   opset >= 13: normalised along the single dimension `axis`; defaults to -1.
// Both reduce to "softmax over n elements spaced `inner` apart, repeated `outer`
// times": for the old rule n = prod(dims[axis:]) and inner = 1.
// The row maximum is subtracted before exp so large inputs (1e4) do not overflow.
#include "backends/reference/numeric.h"

#include <cmath>
#include <limits>
#include <vector>

namespace tilescope::engine::reference {
namespace {

constexpr bool coerces_to_2d(std::int64_t opset) { return opset < 13; }

struct SoftmaxLayout {
  std::int64_t outer = 1; // independent softmaxes before the axis
  std::int64_t n = 1;     // elements in one softmax
  std::int64_t inner = 1; // stride between them
};

// Validates `axis` for this shape and opset; throws Error naming the problem.
SoftmaxLayout layout_of(const Attributes& attrs, const Shape& shape, std::int64_t opset) {
  const auto rank = static_cast<std::int64_t>(shape.size());
  const std::int64_t axis = attrs.get_int("axis", coerces_to_2d(opset) ? 1 : -1);
  // The old rule also accepts axis == rank (an empty second factor).
  const std::int64_t upper = coerces_to_2d(opset) ? rank : rank - 1;
  if (axis < -rank || axis > upper) {
    throw Error("axis " + std::to_string(axis) + " is out of range for input of rank " +
                std::to_string(rank));
  }
  const std::int64_t a = axis < 0 ? axis + rank : axis;
  SoftmaxLayout l;
  for (std::int64_t d = 0; d < a; ++d)
    l.outer *= shape[d];
  if (coerces_to_2d(opset)) {
    for (std::int64_t d = a; d < rank; ++d)
      l.n *= shape[d];
  } else {
    l.n = shape[a];
    for (std::int64_t d = a + 1; d < rank; ++d)
      l.inner *= shape[d];
  }
  return l;
}

void infer(InferContext& ctx) {
  require_dtype(ctx, 0, kFloatTypes);
  try {
    (void)layout_of(ctx.node().attrs, ctx.shape(0), ctx.opset());
  } catch (const Error& e) {
    ctx.fail(e.what());
  }
  ctx.set_output(0, ctx.dtype(0), ctx.shape(0));
}

void run(const KernelContext& ctx) {
  const SoftmaxLayout l = layout_of(ctx.node.attrs, ctx.in(0).shape(), ctx.opset);
  visit_dtype(ctx.in(0).dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = ctx.in(0).data<T>();
    T* y = ctx.out(0).data<T>();
    std::vector<double> e(static_cast<std::size_t>(l.n));
    for (std::int64_t o = 0; o < l.outer; ++o) {
      for (std::int64_t i = 0; i < l.inner; ++i) {
        const std::int64_t base = o * l.n * l.inner + i;
        double max = -std::numeric_limits<double>::infinity();
        for (std::int64_t k = 0; k < l.n; ++k)
          max = std::fmax(max, static_cast<double>(x[base + k * l.inner]));
        double sum = 0;
        for (std::int64_t k = 0; k < l.n; ++k) {
          e[k] = std::exp(static_cast<double>(x[base + k * l.inner]) - max);
          sum += e[k];
        }
        for (std::int64_t k = 0; k < l.n; ++k)
          y[base + k * l.inner] = store_as<T>(e[k] / sum);
      }
    }
  });
}

} // namespace

void register_softmax(OpRegistry& r) { r.add({"", "Softmax", infer, run}); }

} // namespace tilescope::engine::reference
