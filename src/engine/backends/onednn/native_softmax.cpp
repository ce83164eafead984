// Softmax along a strided axis: 16 neighbours along the innermost dim are one
// vector, and the axis is walked vertically (max, exp and sum, scale), so no
// horizontal reductions and no transposition are needed.
//
// Why: oneDNN 2.6 only has a jit softmax for an innermost axis, one row at a
// time, with horizontal max/sum per row. YOLOv8/11's DFL normalises 16 values
// over [1,16,4,8400] (axis 1): as 33600 rows of 16 that took 0.22 ms on two
// Zen 5 cores, plus a reorder putting the axis innermost. Here each step is a
// plain vector op on 16 anchors at once, on the layout the Transpose before it
// leaves (a view, no copy).
//
// Accuracy: exp within 2e-7 relative (native_math.h), the sum's reciprocal to
// ~28 bits: outputs within a few float ulps of exp(x - max) / sum.
#include "backends/onednn/native_softmax.h"

#include "backends/onednn/native_math.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

namespace tilescope::engine::onednn {
namespace {

using Index = std::ptrdiff_t;

// One vector of 16 (or a masked tail) along the innermost dim, every position
// of the axis: max, then exp(x - max) stored with its sum, then scaled.
TS_AVX512 void softmax_column(const float* src, float* dst, Index axis_size, Index axis_stride,
                              __mmask16 mask) {
  __m512 m = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (Index i = 0; i < axis_size; ++i)
    m = _mm512_max_ps(m, _mm512_maskz_loadu_ps(mask, src + i * axis_stride));
  __m512 sum = _mm512_setzero_ps();
  for (Index i = 0; i < axis_size; ++i) {
    const __m512 x = _mm512_sub_ps(_mm512_maskz_loadu_ps(mask, src + i * axis_stride), m);
    const __m512 e = exp16(_mm512_max_ps(x, _mm512_set1_ps(-87.0f))); // x <= 0
    sum = _mm512_add_ps(sum, e);
    _mm512_mask_storeu_ps(dst + i * axis_stride, mask, e);
  }
  // Masked-off lanes summed zeros: give them 1 so their reciprocal is finite.
  const __m512 inv = reciprocal16(_mm512_mask_blend_ps(mask, _mm512_set1_ps(1.0f), sum));
  for (Index i = 0; i < axis_size; ++i) {
    float* p = dst + i * axis_stride;
    _mm512_mask_storeu_ps(p, mask, _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, p), inv));
  }
}

class StridedSoftmax final : public NativeKernel {
public:
  StridedSoftmax(std::vector<Index> bases, Index inner_size, Index axis_size, Index axis_stride)
      : bases_(std::move(bases)), inner_size_(inner_size), axis_size_(axis_size), axis_stride_(axis_stride) {}

  void run(const std::unordered_map<int, dnnl::memory>& args) override {
    const auto* src = static_cast<const float*>(args.at(DNNL_ARG_SRC).get_data_handle());
    auto* dst = static_cast<float*>(args.at(DNNL_ARG_DST).get_data_handle());
    const Index columns = (inner_size_ + 15) / 16;
    const Index work = static_cast<Index>(bases_.size()) * columns;
#pragma omp parallel for schedule(static)
    for (Index k = 0; k < work; ++k) {
      const Index base = bases_[k / columns];
      const Index w = (k % columns) * 16;
      const Index count = std::min<Index>(16, inner_size_ - w);
      const auto mask = static_cast<__mmask16>((1u << count) - 1);
      softmax_column(src + base + w, dst + base + w, axis_size_, axis_stride_, mask);
    }
  }

private:
  std::vector<Index> bases_; // element offsets of every (outer dims) position
  Index inner_size_, axis_size_, axis_stride_;
};

} // namespace

std::unique_ptr<NativeKernel> make_strided_softmax_kernel(const Md& md, int axis) {
  std::vector<int> order; // outermost to innermost
  if (!native_kernels_available() || md.data_type() != dnnl::memory::data_type::f32 ||
      !dense_order(md, &order))
    return nullptr;
  const Dims dims = md.dims();
  const auto& strides = md.data.format_desc.blocking.strides;
  // The innermost dim that is not 1 carries the vectors; it must not be the axis.
  while (order.size() > 1 && dims[order.back()] == 1)
    order.pop_back();
  const int inner = order.back();
  if (inner == axis || strides[inner] != 1) return nullptr;
  std::vector<Index> bases{0};
  for (int d = 0; d < static_cast<int>(dims.size()); ++d) {
    if (d == axis || d == inner) continue;
    std::vector<Index> next;
    for (Index base : bases) {
      for (Index i = 0; i < dims[d]; ++i)
        next.push_back(base + i * strides[d]);
    }
    bases = std::move(next);
  }
  return std::make_unique<StridedSoftmax>(std::move(bases), dims[inner], dims[axis], strides[axis]);
}

} // namespace tilescope::engine::onednn
