// The reference kernels' view of a WindowAttrs: always three spatial dims, 1-D
// and 2-D windows padded in front with unit dims (size 1, kernel 1, stride 1,
// no padding), so one triple loop serves Conv/MaxPool/AveragePool of every
// supported rank.
#pragma once

#include "backends/reference/ops/window_attrs.h"

#include <array>
#include <cstdint>

namespace tilescope::engine::reference {

inline constexpr std::size_t kMaxSpatialRank = 3;

struct Window3d {
  using Dims = std::array<std::int64_t, 3>;
  Dims in{1, 1, 1};
  Dims out{1, 1, 1};
  Dims kernel{1, 1, 1};
  Dims stride{1, 1, 1};
  Dims dilation{1, 1, 1};
  Dims pad_begin{0, 0, 0};
  Dims pad_end{0, 0, 0};

  std::int64_t in_plane() const { return in[0] * in[1] * in[2]; }
  std::int64_t out_plane() const { return out[0] * out[1] * out[2]; }
  std::int64_t kernel_plane() const { return kernel[0] * kernel[1] * kernel[2]; }
  // Input coordinate of kernel tap k of output position o along dim d (may lie
  // in the padding: < 0 or >= in[d]).
  std::int64_t input_at(std::size_t d, std::int64_t o, std::int64_t k) const {
    return o * stride[d] - pad_begin[d] + k * dilation[d];
  }
  // Calls f(input_offset, kernel_offset, id, ih, iw) for every kernel tap of
  // output position (od, oh, ow) that lies inside the input (taps in the
  // padding are skipped), in kd, kh, kw order. Offsets are row-major within one
  // input plane and one kernel plane.
  template <class F> void for_each_tap(std::int64_t od, std::int64_t oh, std::int64_t ow, F&& f) const {
    for (std::int64_t kd = 0; kd < kernel[0]; ++kd) {
      const std::int64_t id = input_at(0, od, kd);
      if (id < 0 || id >= in[0]) continue;
      for (std::int64_t kh = 0; kh < kernel[1]; ++kh) {
        const std::int64_t ih = input_at(1, oh, kh);
        if (ih < 0 || ih >= in[1]) continue;
        for (std::int64_t kw = 0; kw < kernel[2]; ++kw) {
          const std::int64_t iw = input_at(2, ow, kw);
          if (iw < 0 || iw >= in[2]) continue;
          f((id * in[1] + ih) * in[2] + iw, (kd * kernel[1] + kh) * kernel[2] + kw, id, ih, iw);
        }
      }
    }
  }
};

// Requires w.spatial_rank() <= kMaxSpatialRank (checked at infer).
inline Window3d to_window_3d(const WindowAttrs& w) {
  Window3d g;
  const std::size_t shift = kMaxSpatialRank - w.spatial_rank();
  for (std::size_t i = 0; i < w.spatial_rank(); ++i) {
    g.in[shift + i] = w.input_size[i];
    g.out[shift + i] = w.output_size[i];
    g.kernel[shift + i] = w.kernel_shape[i];
    g.stride[shift + i] = w.strides[i];
    g.dilation[shift + i] = w.dilations[i];
    g.pad_begin[shift + i] = w.pads_begin[i];
    g.pad_end[shift + i] = w.pads_end[i];
  }
  return g;
}

} // namespace tilescope::engine::reference
