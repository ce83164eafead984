// Numeric rules shared by the reference kernels: which element types an op
// accepts, the type a computation runs in, and how a computed value is stored.
//
// The reference backend is the specification, so every arithmetic kernel
// follows one rule: float element types compute in double, integer ones in
// int64 with two's-complement wrap-around (numpy's behaviour; never signed
// overflow UB), and the result is converted to the output type by store_as().
#pragma once

#include "backends/reference/op_registry.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <type_traits>

namespace tilescope::engine::reference {

constexpr bool is_float_dtype(DType d) { return d == DType::kFloat32 || d == DType::kFloat64; }
constexpr bool is_integer_dtype(DType d) {
  return d == DType::kInt64 || d == DType::kInt32 || d == DType::kInt8 || d == DType::kUInt8;
}

// A set of element types, e.g. the types an op accepts for one input.
class DTypeSet {
public:
  constexpr DTypeSet(std::initializer_list<DType> types) {
    for (DType t : types)
      bits_ |= bit(t);
  }
  constexpr bool contains(DType t) const { return (bits_ & bit(t)) != 0; }
  // "float32, float64"
  std::string str() const;

private:
  static constexpr std::uint32_t bit(DType t) { return 1u << static_cast<unsigned>(t); }
  std::uint32_t bits_ = 0;
};

inline constexpr DTypeSet kFloatTypes{DType::kFloat32, DType::kFloat64};
inline constexpr DTypeSet kNumericTypes{DType::kFloat32, DType::kFloat64, DType::kInt64,
                                        DType::kInt32,   DType::kInt8,    DType::kUInt8};

// Fails (load time) unless input i is present and its element type is in
// `allowed`: "input 0 ('x') has element type bool; Relu accepts float32, float64".
void require_dtype(const InferContext& ctx, std::size_t i, DTypeSet allowed);

// The type a kernel computes element type T in: double for floats, int64 for
// integers and bool.
template <class T> using ComputeType = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;

// Converts a computed value (double or int64) to element type T:
//   to float:   IEEE round to nearest (double -> float32 may give +-inf).
//   to bool:    value != 0 (NaN is true, as in numpy).
//   int64 -> narrower integer: two's-complement wrap (numpy astype).
//   double -> integer: truncation toward zero. ONNX leaves NaN and
//     out-of-range values undefined; we saturate and map NaN to 0 so that
//     user data can never trigger C++ undefined behaviour.
template <class T, class V> T store_as(V v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else if constexpr (std::is_integral_v<T> && std::is_floating_point_v<V>) {
    if (std::isnan(v)) return T{0};
    // Compare in double: numeric_limits<int64>::max() rounds up to 2^63, so use >=.
    if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  } else {
    return static_cast<T>(v); // to float: IEEE rounding; integer -> integer: modular since C++20
  }
}

// ONNX Clip's rule, min(hi, max(v, lo)) (so lo > hi gives hi), except that NaN
// stays NaN: a bare std::min/max chain would turn it into a bound.
template <class C> C clamp_keep_nan(C v, C lo, C hi) {
  if constexpr (std::is_floating_point_v<C>) {
    if (std::isnan(v)) return v;
  }
  return std::min(hi, std::max(v, lo));
}

// Wrapping int64 arithmetic (computed in uint64, where overflow is defined).
inline std::int64_t wrapping_add(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}
inline std::int64_t wrapping_sub(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}
inline std::int64_t wrapping_mul(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
}

} // namespace tilescope::engine::reference
