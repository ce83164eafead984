#pragma once

#include "tilescope/core/error.h"

namespace tilescope::engine {

template <class F> decltype(auto) visit_dtype(DType dtype, F&& f) {
  switch (dtype) {
  case DType::kFloat32: return f(float{});
  case DType::kFloat64: return f(double{});
  case DType::kInt64: return f(std::int64_t{});
  case DType::kInt32: return f(std::int32_t{});
  case DType::kInt8: return f(std::int8_t{});
  case DType::kUInt8: return f(std::uint8_t{});
  case DType::kBool: return f(bool{});
  case DType::kUndefined: break;
  }
  throw Error("visit_dtype: undefined element type");
}

} // namespace tilescope::engine
