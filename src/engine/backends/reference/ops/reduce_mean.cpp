// ReduceMean: arithmetic mean over the reduced axes (rules in reduce.h).
// Floats sum in double; integers sum in int64 and divide truncating toward zero.
// The mean of an empty set is NaN for floats (0 / 0) and 0 for integers.
#include "backends/reference/reduce.h"

#include <limits>

namespace tilescope::engine::reference {
namespace {

struct MeanFn {
  template <class T> static ComputeType<T> init() { return 0; }
  static double combine(double acc, double x) { return acc + x; }
  static std::int64_t combine(std::int64_t acc, std::int64_t x) { return wrapping_add(acc, x); }
  static double finish(double acc, std::int64_t count) { return acc / static_cast<double>(count); }
  static std::int64_t finish(std::int64_t acc, std::int64_t count) { return count == 0 ? 0 : acc / count; }
};

void infer(InferContext& ctx) { reduce_infer(ctx, kNumericTypes); }

} // namespace

void register_reduce_mean(OpRegistry& r) { r.add({"", "ReduceMean", infer, reduce_run<MeanFn>}); }

} // namespace tilescope::engine::reference
