// Mul: C = A * B, numpy broadcasting; both inputs of one type.
#include "backends/reference/binary_op.h"

namespace tilescope::engine::reference {
namespace {

struct MulFn {
  static constexpr DTypeSet kTypes = kNumericTypes;
  static double apply(double a, double b) { return a * b; }
  static std::int64_t apply(std::int64_t a, std::int64_t b) { return wrapping_mul(a, b); }
};

} // namespace

void register_mul(OpRegistry& r) { r.add({"", "Mul", binary_infer<MulFn>, binary_run<MulFn>}); }

} // namespace tilescope::engine::reference
