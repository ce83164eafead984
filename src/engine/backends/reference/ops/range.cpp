// Range: [start, start + delta, ...) up to but excluding limit; all three inputs
// are scalars of one numeric type and must be known at load time (the output's
// length depends on them): n = max(ceil((limit - start) / delta), 0).
// Element i is start + i * delta as the spec's pseudo-code writes it: in int64
// for integer types (exact), in double for floating ones, then converted.
#include "backends/reference/ops/data_movement.h"

#include <cmath>
#include <string>
#include <type_traits>

namespace tilescope::engine::reference {
namespace {

constexpr const char* kInputNames[] = {"start", "limit", "delta"};

// ceil((limit - start) / delta) clamped at 0, exactly for integers.
std::int64_t length_of(const InferContext& ctx, const Tensor& start, const Tensor& limit,
                       const Tensor& delta) {
  if (start.dtype() == DType::kFloat32 || start.dtype() == DType::kFloat64) {
    const double d = delta.get_as_double(0);
    if (d == 0) ctx.fail("delta must not be 0");
    const double n = std::ceil((limit.get_as_double(0) - start.get_as_double(0)) / d);
    if (!std::isfinite(n) || n > 1e15) {
      ctx.fail("range(" + std::to_string(start.get_as_double(0)) + ", " +
               std::to_string(limit.get_as_double(0)) + ", " + std::to_string(d) + ") has no usable length");
    }
    return std::max<std::int64_t>(static_cast<std::int64_t>(n), 0);
  }
  const std::int64_t d = delta.get_as_int(0);
  if (d == 0) ctx.fail("delta must not be 0");
  std::int64_t span = 0;
  if (__builtin_sub_overflow(limit.get_as_int(0), start.get_as_int(0), &span)) {
    ctx.fail("limit - start overflows int64");
  }
  if ((span > 0) != (d > 0) || span == 0) return 0;
  // Same signs: ceil(span / d) = (span - sign) / d + 1, with no overflow.
  return (span > 0 ? span - 1 : span + 1) / d + 1;
}

void infer(InferContext& ctx) {
  const DType dtype = ctx.dtype(0);
  if (dtype == DType::kBool) ctx.fail("bool inputs are not supported; Range needs a numeric type");
  const Tensor* values[3] = {};
  for (std::size_t i = 0; i < 3; ++i) {
    if (ctx.dtype(i) != dtype) {
      ctx.fail(std::string(kInputNames[i]) + " is " + std::string(dtype_name(ctx.dtype(i))) +
               " but start is " + std::string(dtype_name(dtype)));
    }
    if (num_elements(ctx.shape(i)) != 1) {
      ctx.fail(std::string(kInputNames[i]) + " must be a scalar, got shape " + shape_str(ctx.shape(i)));
    }
    values[i] = ctx.constant(i);
    if (values[i] == nullptr) {
      ctx.fail(std::string(kInputNames[i]) + " (input " + std::to_string(i) + ", '" + ctx.node().inputs[i] +
               "') must be known at load time: the output length depends on it");
    }
  }
  ctx.set_output(0, dtype, {length_of(ctx, *values[0], *values[1], *values[2])});
}

void run(const KernelContext& ctx) {
  Tensor& out = ctx.out(0);
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* y = static_cast<T*>(out.raw());
    if constexpr (std::is_floating_point_v<T>) {
      const double start = ctx.in(0).get_as_double(0);
      const double delta = ctx.in(2).get_as_double(0);
      for (std::int64_t i = 0; i < out.size(); ++i)
        y[i] = static_cast<T>(start + static_cast<double>(i) * delta);
    } else {
      const std::int64_t start = ctx.in(0).get_as_int(0);
      const std::int64_t delta = ctx.in(2).get_as_int(0);
      for (std::int64_t i = 0; i < out.size(); ++i)
        y[i] = static_cast<T>(start + i * delta);
    }
  });
}

} // namespace

void register_range(OpRegistry& r) { r.add({"", "Range", infer, run}); }

} // namespace tilescope::engine::reference
