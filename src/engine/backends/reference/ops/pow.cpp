// Pow: Z = X ^ Y, numpy broadcasting. Since opset 12 the exponent may have
// another type than the base; Z has the base's type. The reference accepts any
// exponent tensor (not only the scalar 2 or 0.5 fast backends special-case).
//   integer ^ integer: exact integer power (wrapping on overflow); a negative
//     exponent gives 1 / x^n in integer division: 0 unless |x| = 1, and 0 for
//     x = 0, matching our Div's rule for division by zero.
//   otherwise: std::pow in double, stored to the base type (truncating for
//     integer bases: ONNX's own test expects int32 2 ^ 5.0f = 32).
#include "backends/reference/binary_op.h"

#include <cmath>

namespace tilescope::engine::reference {
namespace {

struct PowFn {
  static constexpr DTypeSet kTypes{DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32};
  static constexpr DTypeSet kRhsTypes = kNumericTypes;
  static double apply(double a, double b) { return std::pow(a, b); }
  static std::int64_t apply(std::int64_t base, std::int64_t exponent) {
    if (exponent < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exponent & 1) != 0 ? -1 : 1;
      return 0;
    }
    std::int64_t result = 1;
    for (; exponent > 0; exponent >>= 1) { // square-and-multiply
      if (exponent & 1) result = wrapping_mul(result, base);
      base = wrapping_mul(base, base);
    }
    return result;
  }
};

} // namespace

void register_pow(OpRegistry& r) { r.add({"", "Pow", binary_infer<PowFn>, binary_run<PowFn>}); }

} // namespace tilescope::engine::reference
