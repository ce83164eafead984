// Sigmoid: y = 1 / (1 + exp(-x)). In double, exp(-x) overflows to inf for
// x < -709 and the result is then exactly 0, so no special case is needed.
#include "backends/reference/unary_op.h"

#include <cmath>

namespace tilescope::engine::reference {
namespace {

struct SigmoidFn {
  static constexpr DTypeSet kTypes = kFloatTypes;
  explicit SigmoidFn(const Attributes&) {}
  double operator()(double x) const { return 1.0 / (1.0 + std::exp(-x)); }
};

} // namespace

void register_sigmoid(OpRegistry& r) { r.add({"", "Sigmoid", unary_infer<SigmoidFn>, unary_run<SigmoidFn>}); }

} // namespace tilescope::engine::reference
