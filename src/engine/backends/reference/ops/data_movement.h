// Pieces shared by the reference data-movement ops (Transpose, Slice, Expand,
// Concat, Split, Squeeze, ...): axis normalisation with user-facing errors, and
// a dtype-agnostic strided copy. Everything works on raw bytes plus an element
// size so that one code path serves every DType.
//
// Kept in namespace `movement` so that the names cannot clash with helpers other
// op files define for themselves.
#pragma once

#include "backends/reference/op_registry.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace tilescope::engine::reference::movement {

// Maps `axis` in [-rank, rank) to [0, rank); fails naming `what` (e.g. "axis"),
// the value and the input shape otherwise. `rank` may exceed the input's rank
// (Unsqueeze counts axes in the output), so the shape shown is input 0's.
std::int64_t normalize_axis(const InferContext& ctx, std::int64_t axis, std::int64_t rank,
                            std::string_view what);

// normalize_axis for each entry; also fails on a repeated axis.
std::vector<std::int64_t> normalize_axes(const InferContext& ctx, std::span<const std::int64_t> axes,
                                         std::int64_t rank, std::string_view what);

// The value of input i as int64s, which must be known at load time (fails with
// `what` in the message otherwise, e.g. "Reshape's target shape").
std::vector<std::int64_t> constant_ints(const InferContext& ctx, std::size_t i, std::string_view what);

// "[1,2,3]" for error messages.
std::string ints_str(std::span<const std::int64_t> values);

// Product of shape[begin, end).
std::int64_t dims_product(const Shape& shape, std::size_t begin, std::size_t end);

// Copies the strided view of `src` described by `shape` and `src_strides` (in
// elements; zero for broadcast dims, negative for reversed ones) into `dst`,
// contiguous and row-major. `src` points at the view's first element. Every
// DType is handled by its element size alone.
void strided_copy(const std::byte* src, std::span<const std::int64_t> src_strides, const Shape& shape,
                  std::size_t elem_size, std::byte* dst);

// Copies all of input 0 to output 0 (ops that only change the shape).
void copy_input_to_output(const KernelContext& ctx);

} // namespace tilescope::engine::reference::movement
