// Sqrt: y = sqrt(x); negative x gives NaN (IEEE), as the spec says.
#include "backends/reference/unary_op.h"

#include <cmath>

namespace tilescope::engine::reference {
namespace {

struct SqrtFn {
  static constexpr DTypeSet kTypes = kFloatTypes;
  explicit SqrtFn(const Attributes&) {}
  double operator()(double x) const { return std::sqrt(x); }
};

} // namespace

void register_sqrt(OpRegistry& r) { r.add({"", "Sqrt", unary_infer<SqrtFn>, unary_run<SqrtFn>}); }

} // namespace tilescope::engine::reference
