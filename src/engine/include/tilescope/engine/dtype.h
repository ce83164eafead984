// Element types the engine stores. A subset of ONNX's TensorProto.DataType.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tilescope::engine {

enum class DType : std::uint8_t {
  kUndefined,
  kFloat32,
  kFloat64,
  kInt64,
  kInt32,
  kInt8,
  kUInt8,
  kBool,
};

// Size of one element in bytes; 0 for kUndefined.
std::size_t dtype_size(DType dtype);
// Lower-case ONNX-style name: "float32", "int64", ...
std::string_view dtype_name(DType dtype);

// Maps a C++ element type to its DType (used by Tensor::data<T>() checks).
template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::kFloat32; }
template <> constexpr DType dtype_of<double>() { return DType::kFloat64; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::kInt64; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::kInt32; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::kInt8; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::kUInt8; }
template <> constexpr DType dtype_of<bool>() { return DType::kBool; }

// Calls f(T{}) with T the C++ type of `dtype` (bool stored as one byte). Throws
// tilescope::Error for kUndefined.
template <class F> decltype(auto) visit_dtype(DType dtype, F&& f);

} // namespace tilescope::engine

#include "tilescope/engine/dtype_inl.h"
