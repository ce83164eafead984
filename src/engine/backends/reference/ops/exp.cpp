// Exp: y = exp(x); overflow gives +inf when stored to float32.
#include "backends/reference/unary_op.h"

#include <cmath>

namespace tilescope::engine::reference {
namespace {

struct ExpFn {
  static constexpr DTypeSet kTypes = kFloatTypes;
  explicit ExpFn(const Attributes&) {}
  double operator()(double x) const { return std::exp(x); }
};

} // namespace

void register_exp(OpRegistry& r) { r.add({"", "Exp", unary_infer<ExpFn>, unary_run<ExpFn>}); }

} // namespace tilescope::engine::reference
