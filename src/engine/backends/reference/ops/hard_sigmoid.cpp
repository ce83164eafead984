// HardSigmoid: y = max(0, min(1, alpha * x + beta)), alpha 0.2 and beta 0.5 by default.
#include "backends/reference/unary_op.h"

namespace tilescope::engine::reference {
namespace {

struct HardSigmoidFn {
  static constexpr DTypeSet kTypes = kFloatTypes;
  explicit HardSigmoidFn(const Attributes& attrs)
      : alpha(attrs.get_float("alpha", 0.2f)), beta(attrs.get_float("beta", 0.5f)) {}
  double operator()(double x) const { return clamp_keep_nan(alpha * x + beta, 0.0, 1.0); }
  double alpha;
  double beta;
};

} // namespace

void register_hard_sigmoid(OpRegistry& r) {
  r.add({"", "HardSigmoid", unary_infer<HardSigmoidFn>, unary_run<HardSigmoidFn>});
}

} // namespace tilescope::engine::reference
