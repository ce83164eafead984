#include "tilescope/engine/tensor.h"

#include <cstdlib>
#include <cstring>

namespace tilescope::engine {

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
  case DType::kFloat32: return 4;
  case DType::kFloat64: return 8;
  case DType::kInt64: return 8;
  case DType::kInt32: return 4;
  case DType::kInt8: return 1;
  case DType::kUInt8: return 1;
  case DType::kBool: return 1;
  case DType::kUndefined: return 0;
  }
  return 0;
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
  case DType::kFloat32: return "float32";
  case DType::kFloat64: return "float64";
  case DType::kInt64: return "int64";
  case DType::kInt32: return "int32";
  case DType::kInt8: return "int8";
  case DType::kUInt8: return "uint8";
  case DType::kBool: return "bool";
  case DType::kUndefined: return "undefined";
  }
  return "undefined";
}

std::int64_t num_elements(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (d < 0) throw Error("shape " + shape_str(shape) + " has a negative or unknown dimension");
    n *= d;
  }
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::vector<std::int64_t> strides_of(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  return strides;
}

void Tensor::AlignedFree::operator()(std::byte* p) const { std::free(p); }

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  size_ = num_elements(shape_);
  // Allocate at least one element so raw() is never null, rounded to the alignment.
  std::size_t bytes = std::max<std::size_t>(nbytes(), 1);
  bytes = (bytes + 63) / 64 * 64;
  auto* p = static_cast<std::byte*>(std::aligned_alloc(64, bytes));
  if (p == nullptr) throw Error("out of memory allocating tensor " + shape_str(shape_));
  std::memset(p, 0, bytes);
  data_.reset(p);
}

Tensor Tensor::clone() const {
  if (empty()) return Tensor();
  Tensor t(dtype_, shape_);
  std::memcpy(t.raw(), raw(), nbytes());
  return t;
}

Tensor Tensor::reshaped(Shape shape) && {
  if (num_elements(shape) != size_) {
    throw Error("cannot reshape " + shape_str(shape_) + " to " + shape_str(shape));
  }
  shape_ = std::move(shape);
  return std::move(*this);
}

void Tensor::check_type(DType wanted) const {
  if (wanted != dtype_) {
    throw Error("tensor of " + std::string(dtype_name(dtype_)) + " accessed as " +
                std::string(dtype_name(wanted)));
  }
}

double Tensor::get_as_double(std::int64_t i) const {
  return visit_dtype(dtype_, [&](auto tag) -> double {
    using T = decltype(tag);
    return static_cast<double>(static_cast<const T*>(raw())[i]);
  });
}

std::int64_t Tensor::get_as_int(std::int64_t i) const {
  return visit_dtype(dtype_, [&](auto tag) -> std::int64_t {
    using T = decltype(tag);
    return static_cast<std::int64_t>(static_cast<const T*>(raw())[i]);
  });
}

std::vector<std::int64_t> Tensor::to_int64_vector() const {
  std::vector<std::int64_t> v(static_cast<std::size_t>(size_));
  for (std::int64_t i = 0; i < size_; ++i)
    v[static_cast<std::size_t>(i)] = get_as_int(i);
  return v;
}

} // namespace tilescope::engine
