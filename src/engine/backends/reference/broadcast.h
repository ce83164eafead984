// Numpy-style broadcasting (ONNX docs/Broadcasting.md): shapes are aligned on
// their last dimension; each pair of dims must be equal or one of them 1.
#pragma once

#include "tilescope/engine/tensor.h"

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace tilescope::engine::reference {

// Multidirectional broadcast of a and b: the result shape, or nullopt when
// some aligned pair of dims differs and neither is 1.
std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b);

// Unidirectional broadcast (Gemm's C, Expand-like uses): true when `from`
// broadcasts to exactly `to` without changing `to`.
bool broadcasts_to(const Shape& from, const Shape& to);

// Element strides for reading a tensor of shape `in` while walking shape `out`
// (rank(out) >= rank(in), `in` broadcasts to `out`): one entry per dim of
// `out`, 0 where `in` is missing the dim or has size 1 there.
std::vector<std::int64_t> broadcast_strides(const Shape& in, const Shape& out);

// Calls f(out_index, offsets) for every element of `out` in row-major order,
// where offsets[k] is the element offset into operand k given its strides
// (as from broadcast_strides). The innermost dimension runs as a plain loop.
template <std::size_t N, class F>
void for_each_broadcast(const Shape& out, const std::array<std::vector<std::int64_t>, N>& strides, F&& f) {
  const std::int64_t total = num_elements(out);
  if (total == 0) return;
  const std::size_t rank = out.size();
  const std::int64_t inner = rank == 0 ? 1 : out[rank - 1];
  std::array<std::int64_t, N> inner_stride{};
  for (std::size_t k = 0; k < N; ++k)
    inner_stride[k] = rank == 0 ? 0 : strides[k][rank - 1];

  std::vector<std::int64_t> index(rank, 0); // odometer over the outer dims
  std::array<std::int64_t, N> row_offsets{};
  for (std::int64_t base = 0; base < total; base += inner) {
    std::array<std::int64_t, N> offsets = row_offsets;
    for (std::int64_t j = 0; j < inner; ++j) {
      f(base + j, offsets);
      for (std::size_t k = 0; k < N; ++k)
        offsets[k] += inner_stride[k];
    }
    for (std::size_t d = rank < 2 ? 0 : rank - 1; d-- > 0;) {
      ++index[d];
      for (std::size_t k = 0; k < N; ++k)
        row_offsets[k] += strides[k][d];
      if (index[d] < out[d]) break;
      for (std::size_t k = 0; k < N; ++k)
        row_offsets[k] -= strides[k][d] * out[d];
      index[d] = 0;
    }
  }
}

} // namespace tilescope::engine::reference
