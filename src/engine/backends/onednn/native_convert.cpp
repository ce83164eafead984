// f32 NCHW -> bf16 NHWC for images (1-4 channels): 16 pixels of every channel
// are loaded, rounded to bf16 and interleaved by one or two permutes; and
// f32 NCHW -> bf16 NCHW the same way, one channel at a time.
//
// Why: oneDNN 2.6's reorder for this (jit:uni) walks the 3-channel transpose
// element by element and does not split a batch-1 image between threads: the
// 640x640 input of YOLOv8n took 0.41 ms on one Zen 5 core and ~0.45 ms on two,
// 4 % of the whole bf16 model. This loop runs at memory speed on every thread
// (0.12 ms on one core). Its plain f32 -> bf16 copy (for jit_bf16 stems, which
// read NCHW) took 0.2 ms.
//
// Rounding: to nearest even by integer arithmetic, as oneDNN's reorder rounds
// (vcvtneps2bf16 would save a few integer ops per 16 values in a loop bound
// by memory, at the price of a second copy of the loop for CPUs without it).
#include "backends/onednn/native_convert.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <immintrin.h>

// GCC 12 warns inside its own AVX-512 intrinsics (the `__Y = __Y` of
// _mm512_undefined_epi32) once they are inlined into the loop below: a
// known false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace tilescope::engine::onednn {
namespace {

using Index = std::ptrdiff_t;

#define TS_AVX512_BW __attribute__((target("avx512f,avx512bw")))

inline std::uint16_t float_to_bf16(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return static_cast<std::uint16_t>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

TS_AVX512_BW inline __m256i round_bf16(__m512 y) {
  const __m512i i = _mm512_castps_si512(y);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(i, 16), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_add_epi32(i, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
  return _mm512_cvtepi32_epi16(_mm512_srli_epi32(rounded, 16));
}

// Permute indices: output element j (pixel j / C, channel j % C) of 16C comes
// from channel c's 16 values at lanes 16c..16c+15 of the two-register table
// (channels 0-1 in the first, 2-3 in the second).
struct Interleave {
  int channels = 0;
  std::array<std::array<std::uint16_t, 32>, 2> idx{};
  explicit Interleave(int c) : channels(c) {
    for (int j = 0; j < 16 * c; ++j) {
      const int pixel = j / c, channel = j % c;
      idx[j / 32][j % 32] = static_cast<std::uint16_t>(16 * channel + pixel);
    }
  }
};

// One row of `width` pixels. `src` points at channel 0; channels are
// `plane` floats apart.
TS_AVX512_BW void convert_row(const float* src, Index plane, std::uint16_t* dst, Index width,
                              const Interleave& il) {
  const int c = il.channels;
  const __m512i idx0 = _mm512_loadu_si512(il.idx[0].data());
  const __m512i idx1 = _mm512_loadu_si512(il.idx[1].data());
  const int out_values = 16 * c;
  const auto tail1 = static_cast<__mmask32>(out_values > 32 ? (1ull << (out_values - 32)) - 1 : 0);
  const auto mask0 = static_cast<__mmask32>(out_values >= 32 ? 0xffffffffu : (1u << out_values) - 1);
  Index x = 0;
  for (; x + 16 <= width; x += 16) {
    // Channels 0-1 and 2-3 as bf16 pairs of 256-bit halves (channels past
    // the last repeat it: the permutes never pick them).
    const float* p = src + x;
    const auto at = [&](int ch) { return p + std::min(ch, c - 1) * plane; };
    const __m512i t0 = _mm512_inserti64x4(_mm512_castsi256_si512(round_bf16(_mm512_loadu_ps(at(0)))),
                                          round_bf16(_mm512_loadu_ps(at(1))), 1);
    const __m512i t1 = _mm512_inserti64x4(_mm512_castsi256_si512(round_bf16(_mm512_loadu_ps(at(2)))),
                                          round_bf16(_mm512_loadu_ps(at(3))), 1);
    std::uint16_t* out = dst + x * c;
    _mm512_mask_storeu_epi16(out, mask0, _mm512_permutex2var_epi16(t0, idx0, t1));
    if (tail1 != 0) _mm512_mask_storeu_epi16(out + 32, tail1, _mm512_permutex2var_epi16(t0, idx1, t1));
  }
  for (; x < width; ++x) {
    for (int ch = 0; ch < c; ++ch)
      dst[x * c + ch] = float_to_bf16(src[ch * plane + x]);
  }
}

bool has_avx512_bw() {
  static const bool available = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  return available;
}

class PlanarToNhwcBf16 final : public NativeKernel {
public:
  PlanarToNhwcBf16(Index n, int c, Index h, Index w) : n_(n), h_(h), w_(w), interleave_(c) {}

  void run(const std::unordered_map<int, dnnl::memory>& args) override {
    const auto* src = static_cast<const float*>(args.at(DNNL_ARG_SRC).get_data_handle());
    auto* dst = static_cast<std::uint16_t*>(args.at(DNNL_ARG_DST).get_data_handle());
    const Index c = interleave_.channels, plane = h_ * w_, rows = n_ * h_;
#pragma omp parallel for schedule(static)
    for (Index r = 0; r < rows; ++r) {
      const Index n = r / h_, y = r % h_;
      const float* in = src + n * c * plane + y * w_;
      std::uint16_t* out = dst + r * w_ * c;
      convert_row(in, plane, out, w_, interleave_);
    }
  }

private:
  Index n_, h_, w_;
  Interleave interleave_;
};

} // namespace

std::unique_ptr<NativeKernel> make_image_to_bf16_kernel(const Md& src, const Md& dst) {
  using dnnl::memory;
  const Dims dims = src.dims();
  if (!has_avx512_bw() || dims.size() != 4 || dims[1] < 1 || dims[1] > 4 || dst.dims() != dims)
    return nullptr;
  if (src.data_type() != memory::data_type::f32 || dst.data_type() != memory::data_type::bf16 ||
      !is_plain(src))
    return nullptr;
  if (same_layout(dst, Md(dims, memory::data_type::bf16, memory::format_tag::nhwc)))
    return std::make_unique<PlanarToNhwcBf16>(dims[0], static_cast<int>(dims[1]), dims[2], dims[3]);
  // NCHW is N*C one-channel images, whose NHWC is their NCHW.
  if (is_plain(dst)) return std::make_unique<PlanarToNhwcBf16>(dims[0] * dims[1], 1, dims[2], dims[3]);
  return nullptr;
}

} // namespace tilescope::engine::onednn
