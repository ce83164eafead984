// f32 NCHW -> bf16 NHWC for images (1-4 channels): 16 pixels of every channel
// are loaded, rounded to bf16 and interleaved by one or two permutes; and
// f32 NCHW -> bf16 NCHW the same way, one channel at a time; and f32 NCHW ->
// u8 NHWC quantized (the int8 stem's image), 16 pixels of every channel
// quantized and interleaved by one byte permute.
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
//
// u8: oneDNN 2.6 quantized the int8 stem's image in two single-threaded
// reorders, f32 -> u8 NCHW then u8 NCHW -> NHWC (0.2 + 0.2 ms at 640x640; one
// f32 reorder that transposes was 0.9 ms). Here it is one pass on every
// thread. The quotient x / scale is the correctly rounded one, as ONNX's
// QuantizeLinear (and our reference kernel) divide: x * (1 / scale), as
// oneDNN computes it, can land one ulp off and round a tie the other way.
#include "backends/onednn/native_convert.h"

#include <algorithm>
#include <array>
#include <cmath>
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

#define TS_AVX512_VBMI __attribute__((target("avx512f,avx512bw,avx512vbmi")))

bool has_avx512_vbmi() {
  static const bool available = has_avx512_bw() && __builtin_cpu_supports("avx512vbmi");
  return available;
}

// x / scale, rounded half to even, plus the zero point, saturated: one value.
inline std::uint8_t quantize_one(float x, float scale, float zero_point) {
  const float q = std::nearbyint(x / scale) + zero_point;
  return std::isnan(q) ? std::uint8_t{0} : static_cast<std::uint8_t>(std::clamp(q, 0.0f, 255.0f));
}

struct QuantParams {
  float scale = 1.0f;
  float inverse = 1.0f; // 1 / scale, correctly rounded
  float zero_point = 0.0f;
  float bound = 512.0f; // 512 * scale: |x| past it saturates anyway
};

// 16 values of x quantized to u8 in the low 16 bytes. The quotient is x *
// (1 / scale) corrected once with its exact remainder (Markstein): with a
// correctly rounded reciprocal this is the correctly rounded x / scale, at
// the cost of two FMAs instead of a division.
TS_AVX512_VBMI inline __m128i quantize16(__m512 x, const QuantParams& p) {
  const __m512 scale = _mm512_set1_ps(p.scale), inverse = _mm512_set1_ps(p.inverse);
  // Clamped first so that the quotient stays finite (an infinite q0 would
  // make the remainder NaN); the constants go first so that NaN passes.
  x = _mm512_max_ps(_mm512_set1_ps(-p.bound), _mm512_min_ps(_mm512_set1_ps(p.bound), x));
  const __m512 q0 = _mm512_mul_ps(x, inverse);
  const __m512 remainder = _mm512_fnmadd_ps(q0, scale, x); // x - q0 * scale, exact
  const __m512 q = _mm512_fmadd_ps(remainder, inverse, q0);
  __m512 y = _mm512_add_ps(_mm512_roundscale_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
                           _mm512_set1_ps(p.zero_point));
  // max returns its second operand for NaN: NaN quantizes to 0, as the
  // reference kernel's.
  y = _mm512_min_ps(_mm512_max_ps(y, _mm512_setzero_ps()), _mm512_set1_ps(255.0f));
  return _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(y));
}

// Byte permute: output byte j (pixel j / C, channel j % C) of 16C comes from
// channel c's 16 bytes at 16c..16c+15.
struct ByteInterleave {
  int channels = 0;
  std::array<std::uint8_t, 64> idx{};
  explicit ByteInterleave(int c) : channels(c) {
    for (int j = 0; j < 16 * c; ++j)
      idx[j] = static_cast<std::uint8_t>(16 * (j % c) + j / c);
  }
};

// One row of `width` pixels, as convert_row.
TS_AVX512_VBMI void quantize_row(const float* src, Index plane, std::uint8_t* dst, Index width,
                                 const ByteInterleave& il, const QuantParams& p) {
  const int c = il.channels;
  const __m512i idx = _mm512_loadu_si512(il.idx.data());
  const auto mask = static_cast<__mmask64>(c == 4 ? ~0ull : (1ull << (16 * c)) - 1);
  Index x = 0;
  for (; x + 16 <= width; x += 16) {
    const float* in = src + x;
    __m512i table = _mm512_castsi128_si512(quantize16(_mm512_loadu_ps(in), p));
    if (c > 1) table = _mm512_inserti32x4(table, quantize16(_mm512_loadu_ps(in + plane), p), 1);
    if (c > 2) table = _mm512_inserti32x4(table, quantize16(_mm512_loadu_ps(in + 2 * plane), p), 2);
    if (c > 3) table = _mm512_inserti32x4(table, quantize16(_mm512_loadu_ps(in + 3 * plane), p), 3);
    _mm512_mask_storeu_epi8(dst + x * c, mask, _mm512_permutexvar_epi8(idx, table));
  }
  for (; x < width; ++x) {
    for (int ch = 0; ch < c; ++ch)
      dst[x * c + ch] = quantize_one(src[ch * plane + x], p.scale, p.zero_point);
  }
}

class PlanarToNhwcU8 final : public NativeKernel {
public:
  // `dst_offset`, `row_stride`, `image_stride`: in bytes (elements of u8).
  PlanarToNhwcU8(Index n, int c, Index h, Index w, Index dst_offset, Index row_stride, Index image_stride,
                 QuantParams p)
      : n_(n), h_(h), w_(w), dst_offset_(dst_offset), row_stride_(row_stride), image_stride_(image_stride),
        interleave_(c), params_(p) {}

  void run(const std::unordered_map<int, dnnl::memory>& args) override {
    const auto* src = static_cast<const float*>(args.at(DNNL_ARG_SRC).get_data_handle());
    auto* dst = static_cast<std::uint8_t*>(args.at(DNNL_ARG_DST).get_data_handle()) + dst_offset_;
    const Index c = interleave_.channels, plane = h_ * w_, rows = n_ * h_;
#pragma omp parallel for schedule(static)
    for (Index r = 0; r < rows; ++r) {
      const Index n = r / h_, y = r % h_;
      quantize_row(src + n * c * plane + y * w_, plane, dst + n * image_stride_ + y * row_stride_, w_,
                   interleave_, params_);
    }
  }

private:
  Index n_, h_, w_, dst_offset_, row_stride_, image_stride_;
  ByteInterleave interleave_;
  QuantParams params_;
};

} // namespace

std::unique_ptr<NativeKernel> make_image_to_u8_kernel(const Md& src, const Md& dst, float scale,
                                                      int zero_point) {
  using dnnl::memory;
  const Dims dims = src.dims();
  if (!has_avx512_vbmi() || dims.size() != 4 || dims[1] < 1 || dims[1] > 4 || dst.dims() != dims)
    return nullptr;
  if (src.data_type() != memory::data_type::f32 || dst.data_type() != memory::data_type::u8 || !is_plain(src))
    return nullptr;
  if (!(scale > 0.0f) || !std::isfinite(512.0f * scale) || !std::isfinite(1.0f / scale) || zero_point < 0 ||
      zero_point > 255)
    return nullptr;
  // NHWC with packed pixels; rows and images at any (non-overlapping) stride.
  const dnnl_memory_desc_t& d = dst.data;
  if (d.format_kind != dnnl_blocked || d.format_desc.blocking.inner_nblks != 0) return nullptr;
  const dnnl_dims_t& s = d.format_desc.blocking.strides;
  const Index c = dims[1], h = dims[2], w = dims[3];
  if ((c > 1 && s[1] != 1) || (w > 1 && s[3] != c) || (h > 1 && s[2] < w * c) ||
      (dims[0] > 1 && s[0] < (h - 1) * s[2] + w * c))
    return nullptr;
  const QuantParams p{scale, 1.0f / scale, static_cast<float>(zero_point), 512.0f * scale};
  return std::make_unique<PlanarToNhwcU8>(dims[0], static_cast<int>(c), h, w, d.offset0, s[2], s[0], p);
}

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
