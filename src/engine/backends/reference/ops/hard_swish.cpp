// HardSwish (opset 14): y = x * max(0, min(1, x / 6 + 0.5)); no attributes.
// (The spec writes alpha = 1/6; dividing by 6 in double is the exact intent.)
#include "backends/reference/unary_op.h"

namespace tilescope::engine::reference {
namespace {

struct HardSwishFn {
  static constexpr DTypeSet kTypes = kFloatTypes;
  explicit HardSwishFn(const Attributes&) {}
  double operator()(double x) const { return x * clamp_keep_nan(x / 6.0 + 0.5, 0.0, 1.0); }
};

} // namespace

void register_hard_swish(OpRegistry& r) {
  r.add({"", "HardSwish", unary_infer<HardSwishFn>, unary_run<HardSwishFn>});
}

} // namespace tilescope::engine::reference
