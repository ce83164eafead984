#include "backends/reference/numeric.h"

namespace tilescope::engine::reference {

std::string DTypeSet::str() const {
  std::string s;
  for (DType t : {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32, DType::kInt8, DType::kUInt8,
                  DType::kBool}) {
    if (!contains(t)) continue;
    if (!s.empty()) s += ", ";
    s += dtype_name(t);
  }
  return s;
}

void require_dtype(const InferContext& ctx, std::size_t i, DTypeSet allowed) {
  DType t = ctx.dtype(i);
  if (allowed.contains(t)) return;
  const auto& names = ctx.node().inputs;
  ctx.fail("input " + std::to_string(i) + " ('" + (i < names.size() ? names[i] : std::string()) +
           "') has element type " + std::string(dtype_name(t)) + "; " + ctx.node().op_type + " accepts " +
           allowed.str());
}

} // namespace tilescope::engine::reference
