// ReduceMax: maximum over the reduced axes (rules in reduce.h). NaN wins, as in
// numpy.max. The max of an empty set is -inf for floats and the type's lowest
// value for integers (the opset 18 spec).
#include "backends/reference/reduce.h"

#include <cmath>
#include <limits>

namespace tilescope::engine::reference {
namespace {

struct MaxFn {
  template <class T> static ComputeType<T> init() {
    if constexpr (std::is_floating_point_v<T>)
      return -std::numeric_limits<double>::infinity();
    else
      return std::numeric_limits<T>::lowest();
  }
  // Once acc is NaN, `x > acc` is false and acc stays NaN.
  static double combine(double acc, double x) { return x > acc || std::isnan(x) ? x : acc; }
  static std::int64_t combine(std::int64_t acc, std::int64_t x) { return x > acc ? x : acc; }
  template <class C> static C finish(C acc, std::int64_t) { return acc; }
};

void infer(InferContext& ctx) { reduce_infer(ctx, kNumericTypes); }

} // namespace

void register_reduce_max(OpRegistry& r) { r.add({"", "ReduceMax", infer, reduce_run<MaxFn>}); }

} // namespace tilescope::engine::reference
