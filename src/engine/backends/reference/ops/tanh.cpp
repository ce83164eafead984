// Tanh: y = tanh(x).
#include "backends/reference/unary_op.h"

#include <cmath>

namespace tilescope::engine::reference {
namespace {

struct TanhFn {
  static constexpr DTypeSet kTypes = kFloatTypes;
  explicit TanhFn(const Attributes&) {}
  double operator()(double x) const { return std::tanh(x); }
};

} // namespace

void register_tanh(OpRegistry& r) { r.add({"", "Tanh", unary_infer<TanhFn>, unary_run<TanhFn>}); }

} // namespace tilescope::engine::reference
