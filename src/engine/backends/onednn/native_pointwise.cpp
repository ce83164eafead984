// A 1x1 convolution with one output channel: 16 neighbours along W are one
// vector, and the channels are summed vertically, read where they lie.
//
// Why: YOLOv8/11's DFL (a 16->1 1x1 convolution over [1,16,4,8400], the
// softmax before it laid out with W innermost) went to oneDNN as a reorder to
// NHWC plus a convolution that computes one output channel per 16 inputs:
// 0.16 ms of CPU on one Zen 5 core, 0.3 ms of wall time on two; this reads the
// softmax output once, in place.
#include "backends/onednn/native_pointwise.h"

#include "backends/onednn/native_math.h"

#include <algorithm>
#include <cstddef>

namespace tilescope::engine::onednn {
namespace {

using Index = std::ptrdiff_t;

// Outputs per work item: whole vectors, enough to amortise the loop setup.
constexpr Index kChunk = 256;

TS_AVX512 void channel_sum_chunk(const float* src, Index channel_stride, const float* weights, Index channels,
                                 float bias, float* dst, Index count) {
  for (Index w = 0; w < count; w += 16) {
    const auto mask = static_cast<__mmask16>(count - w >= 16 ? 0xffff : (1u << (count - w)) - 1);
    __m512 acc = _mm512_set1_ps(bias);
    for (Index c = 0; c < channels; ++c)
      acc = _mm512_fmadd_ps(_mm512_set1_ps(weights[c]),
                            _mm512_maskz_loadu_ps(mask, src + c * channel_stride + w), acc);
    _mm512_mask_storeu_ps(dst + w, mask, acc);
  }
}

class ChannelSum final : public NativeKernel {
public:
  ChannelSum(Dims dims, Dims strides, std::vector<float> weights, float bias)
      : dims_(std::move(dims)), strides_(std::move(strides)), weights_(std::move(weights)), bias_(bias) {}

  void run(const std::unordered_map<int, dnnl::memory>& args) override {
    const auto* src = static_cast<const float*>(args.at(DNNL_ARG_SRC).get_data_handle());
    auto* dst = static_cast<float*>(args.at(DNNL_ARG_DST).get_data_handle());
    const Index n = dims_[0], channels = dims_[1], h = dims_[2], w = dims_[3];
    const Index chunks = (w + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static)
    for (Index k = 0; k < n * h * chunks; ++k) {
      const Index row = k / chunks, x = (k % chunks) * kChunk;
      const Index b = row / h, y = row % h;
      channel_sum_chunk(src + b * strides_[0] + y * strides_[2] + x, strides_[1], weights_.data(), channels,
                        bias_, dst + row * w + x, std::min(kChunk, w - x));
    }
  }

private:
  Dims dims_, strides_;
  std::vector<float> weights_;
  float bias_;
};

} // namespace

std::unique_ptr<NativeKernel> make_channel_sum_kernel(const Md& src, std::vector<float> weights, float bias) {
  const Dims dims = src.dims();
  if (!native_kernels_available() || src.data_type() != dnnl::memory::data_type::f32 || dims.size() != 4 ||
      !dense_order(src) || static_cast<Index>(weights.size()) != dims[1])
    return nullptr;
  const auto& s = src.data.format_desc.blocking.strides;
  if (s[3] != 1 && dims[3] != 1) return nullptr;
  return std::make_unique<ChannelSum>(dims, Dims{s[0], s[1], s[2], s[3]}, std::move(weights), bias);
}

} // namespace tilescope::engine::onednn
