// Tensor: a dense, C-ordered (row-major), owning n-d array of one element type.
//
// Storage is 64-byte aligned and zero-initialised. Tensors are move-only; copy
// explicitly with clone(). A rank-0 tensor (scalar) has an empty shape and one
// element. Not thread-safe for concurrent mutation.
#pragma once

#include "tilescope/core/error.h"
#include "tilescope/engine/dtype.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tilescope::engine {

using Shape = std::vector<std::int64_t>;

// Product of the dims (1 for a scalar). Throws Error on a negative dim.
std::int64_t num_elements(const Shape& shape);
// "[1,3,640,640]"
std::string shape_str(const Shape& shape);
// Row-major strides in elements.
std::vector<std::int64_t> strides_of(const Shape& shape);

class Tensor {
public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;

  // Builds a tensor from values; values.size() must equal num_elements(shape).
  template <class T> static Tensor from(Shape shape, std::span<const T> values);
  template <class T> static Tensor from(Shape shape, std::initializer_list<T> values) {
    return from<T>(std::move(shape), std::span<const T>(values.begin(), values.size()));
  }
  template <class T> static Tensor scalar(T value) { return from<T>(Shape{}, std::span<const T>(&value, 1)); }

  Tensor clone() const;
  // Same data, new shape with the same element count.
  Tensor reshaped(Shape shape) &&;

  bool empty() const { return dtype_ == DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  std::int64_t rank() const { return static_cast<std::int64_t>(shape_.size()); }
  std::int64_t size() const { return size_; } // elements
  std::size_t nbytes() const { return static_cast<std::size_t>(size_) * dtype_size(dtype_); }

  void* raw() { return data_.get(); }
  const void* raw() const { return data_.get(); }

  // Typed access; throws Error when T does not match dtype().
  template <class T> T* data() {
    check_type(dtype_of<T>());
    return static_cast<T*>(raw());
  }
  template <class T> const T* data() const {
    check_type(dtype_of<T>());
    return static_cast<const T*>(raw());
  }
  template <class T> std::span<T> values() { return {data<T>(), static_cast<std::size_t>(size_)}; }
  template <class T> std::span<const T> values() const {
    return {data<T>(), static_cast<std::size_t>(size_)};
  }

  // Element i converted to double / int64 whatever the dtype (slow; for small
  // tensors such as shapes, indices and scalars).
  double get_as_double(std::int64_t i) const;
  std::int64_t get_as_int(std::int64_t i) const;
  // All elements as int64 (for shape-like tensors).
  std::vector<std::int64_t> to_int64_vector() const;

private:
  struct AlignedFree {
    void operator()(std::byte* p) const;
  };
  void check_type(DType wanted) const;

  DType dtype_ = DType::kUndefined;
  Shape shape_;
  std::int64_t size_ = 0;
  std::unique_ptr<std::byte[], AlignedFree> data_;
};

template <class T> Tensor Tensor::from(Shape shape, std::span<const T> values) {
  Tensor t(dtype_of<T>(), std::move(shape));
  if (static_cast<std::int64_t>(values.size()) != t.size()) {
    throw Error("Tensor::from: " + std::to_string(values.size()) + " values for shape " +
                shape_str(t.shape()));
  }
  T* out = t.data<T>();
  for (std::size_t i = 0; i < values.size(); ++i)
    out[i] = values[i];
  return t;
}

} // namespace tilescope::engine
