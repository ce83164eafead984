// Relu: y = max(x, 0). Integer types since opset 14.
#include "backends/reference/unary_op.h"

namespace tilescope::engine::reference {
namespace {

struct ReluFn {
  static constexpr DTypeSet kTypes{DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32,
                                   DType::kInt8};
  explicit ReluFn(const Attributes&) {}
  // Written as `x < 0 ? 0 : x` so NaN passes through, as numpy's maximum does.
  double operator()(double x) const { return x < 0 ? 0.0 : x; }
  std::int64_t operator()(std::int64_t x) const { return x < 0 ? 0 : x; }
};

} // namespace

void register_relu(OpRegistry& r) { r.add({"", "Relu", unary_infer<ReluFn>, unary_run<ReluFn>}); }

} // namespace tilescope::engine::reference
