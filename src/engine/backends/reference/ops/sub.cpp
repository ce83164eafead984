// Sub: C = A - B, numpy broadcasting; both inputs of one type.
#include "backends/reference/binary_op.h"

namespace tilescope::engine::reference {
namespace {

struct SubFn {
  static constexpr DTypeSet kTypes = kNumericTypes;
  static double apply(double a, double b) { return a - b; }
  static std::int64_t apply(std::int64_t a, std::int64_t b) { return wrapping_sub(a, b); }
};

} // namespace

void register_sub(OpRegistry& r) { r.add({"", "Sub", binary_infer<SubFn>, binary_run<SubFn>}); }

} // namespace tilescope::engine::reference
