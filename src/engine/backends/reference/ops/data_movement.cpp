#include "backends/reference/ops/data_movement.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace tilescope::engine::reference::movement {
namespace {

// Copies with an unsigned word of the element's size: a plain load/store keeps
// every bit pattern (NaN payloads, bool bytes) and avoids a memcpy call per element.
template <class Word>
void strided_copy_words(const std::byte* src, std::span<const std::int64_t> src_strides, const Shape& shape,
                        std::byte* dst) {
  const std::size_t rank = shape.size();
  const auto* in = reinterpret_cast<const Word*>(src);
  auto* out = reinterpret_cast<Word*>(dst);
  if (rank == 0) {
    *out = *in;
    return;
  }
  const std::int64_t inner = shape[rank - 1];
  const std::int64_t inner_stride = src_strides[rank - 1];
  const std::int64_t rows = dims_product(shape, 0, rank - 1);
  std::vector<std::int64_t> index(rank - 1, 0); // odometer over the outer dims
  std::int64_t row_offset = 0;
  for (std::int64_t row = 0; row < rows; ++row) {
    const Word* p = in + row_offset;
    if (inner_stride == 1) {
      std::memcpy(out, p, static_cast<std::size_t>(inner) * sizeof(Word));
      out += inner;
    } else {
      for (std::int64_t j = 0; j < inner; ++j)
        *out++ = p[j * inner_stride];
    }
    // Advance the odometer, undoing the offset of each dim that wraps around.
    for (std::size_t d = rank - 1; d-- > 0;) {
      row_offset += src_strides[d];
      if (++index[d] < shape[d]) break;
      row_offset -= src_strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

} // namespace

std::int64_t normalize_axis(const InferContext& ctx, std::int64_t axis, std::int64_t rank,
                            std::string_view what) {
  if (axis < -rank || axis >= rank) {
    std::string shape = ctx.has_input(0) ? " (input shape " + shape_str(ctx.shape(0)) + ")" : std::string();
    ctx.fail(std::string(what) + " " + std::to_string(axis) + " is out of range [" + std::to_string(-rank) +
             ", " + std::to_string(rank - 1) + "] for rank " + std::to_string(rank) + shape);
  }
  return axis < 0 ? axis + rank : axis;
}

std::vector<std::int64_t> normalize_axes(const InferContext& ctx, std::span<const std::int64_t> axes,
                                         std::int64_t rank, std::string_view what) {
  std::vector<std::int64_t> out;
  out.reserve(axes.size());
  for (std::int64_t axis : axes) {
    std::int64_t a = normalize_axis(ctx, axis, rank, what);
    if (std::find(out.begin(), out.end(), a) != out.end()) {
      ctx.fail(std::string(what) + " " + ints_str(axes) + " name axis " + std::to_string(a) +
               " more than once");
    }
    out.push_back(a);
  }
  return out;
}

std::vector<std::int64_t> constant_ints(const InferContext& ctx, std::size_t i, std::string_view what) {
  const Tensor* t = ctx.constant(i);
  if (t == nullptr) {
    std::string name = i < ctx.node().inputs.size() ? ctx.node().inputs[i] : std::string();
    ctx.fail(std::string(what) + " (input " + std::to_string(i) + ", '" + name +
             "') must be known at load time; it is computed at run time, which the engine does not support");
  }
  if (t->dtype() != DType::kInt64 && t->dtype() != DType::kInt32) {
    ctx.fail(std::string(what) + " (input " + std::to_string(i) + ") must be int64 or int32, got " +
             std::string(dtype_name(t->dtype())));
  }
  if (t->rank() > 1) {
    ctx.fail(std::string(what) + " (input " + std::to_string(i) + ") must be 1-D, got shape " +
             shape_str(t->shape()));
  }
  return t->to_int64_vector();
}

std::string ints_str(std::span<const std::int64_t> values) {
  return shape_str(Shape(values.begin(), values.end()));
}

std::int64_t dims_product(const Shape& shape, std::size_t begin, std::size_t end) {
  std::int64_t n = 1;
  for (std::size_t i = begin; i < end && i < shape.size(); ++i)
    n *= shape[i];
  return n;
}

void strided_copy(const std::byte* src, std::span<const std::int64_t> src_strides, const Shape& shape,
                  std::size_t elem_size, std::byte* dst) {
  if (num_elements(shape) == 0) return;
  switch (elem_size) {
  case 1: return strided_copy_words<std::uint8_t>(src, src_strides, shape, dst);
  case 2: return strided_copy_words<std::uint16_t>(src, src_strides, shape, dst);
  case 4: return strided_copy_words<std::uint32_t>(src, src_strides, shape, dst);
  case 8: return strided_copy_words<std::uint64_t>(src, src_strides, shape, dst);
  default: throw Error("strided_copy: unsupported element size " + std::to_string(elem_size));
  }
}

void copy_input_to_output(const KernelContext& ctx) {
  std::memcpy(ctx.out(0).raw(), ctx.in(0).raw(), ctx.in(0).nbytes());
}

} // namespace tilescope::engine::reference::movement
