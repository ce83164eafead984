// Add: C = A + B, numpy broadcasting; both inputs of one type.
#include "backends/reference/binary_op.h"

namespace tilescope::engine::reference {
namespace {

struct AddFn {
  static constexpr DTypeSet kTypes = kNumericTypes;
  static double apply(double a, double b) { return a + b; }
  static std::int64_t apply(std::int64_t a, std::int64_t b) { return wrapping_add(a, b); }
};

} // namespace

void register_add(OpRegistry& r) { r.add({"", "Add", binary_infer<AddFn>, binary_run<AddFn>}); }

} // namespace tilescope::engine::reference
