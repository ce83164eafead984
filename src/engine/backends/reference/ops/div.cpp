// Div: C = A / B, numpy broadcasting; both inputs of one type.
// Floats follow IEEE (x / 0 = +-inf, 0 / 0 = NaN). Integers truncate toward
// zero as C does (ONNX Runtime's behaviour; numpy floors instead).
#include "backends/reference/binary_op.h"

#include <limits>

namespace tilescope::engine::reference {
namespace {

struct DivFn {
  static constexpr DTypeSet kTypes = kNumericTypes;
  static double apply(double a, double b) { return a / b; }
  static std::int64_t apply(std::int64_t a, std::int64_t b) {
    // Both cases are undefined behaviour in C++ (and SIGFPE on x86). ONNX does
    // not define integer division by zero; we return 0 (numpy's result) so user
    // data cannot crash the process. INT64_MIN / -1 wraps, like the other ops.
    if (b == 0) return 0;
    if (b == -1) return wrapping_sub(0, a);
    return a / b;
  }
};

} // namespace

void register_div(OpRegistry& r) { r.add({"", "Div", binary_infer<DivFn>, binary_run<DivFn>}); }

} // namespace tilescope::engine::reference
