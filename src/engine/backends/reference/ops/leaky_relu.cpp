// LeakyRelu: y = x < 0 ? alpha * x : x, alpha defaults to 0.01.
#include "backends/reference/unary_op.h"

namespace tilescope::engine::reference {
namespace {

struct LeakyReluFn {
  static constexpr DTypeSet kTypes = kFloatTypes;
  explicit LeakyReluFn(const Attributes& attrs) : alpha(attrs.get_float("alpha", 0.01f)) {}
  double operator()(double x) const { return x < 0 ? alpha * x : x; }
  double alpha;
};

} // namespace

void register_leaky_relu(OpRegistry& r) {
  r.add({"", "LeakyRelu", unary_infer<LeakyReluFn>, unary_run<LeakyReluFn>});
}

} // namespace tilescope::engine::reference
