// SiLU (x * sigmoid(x)) in place on a convolution's output, plus an optional
// residual added after it: YOLO's Conv block epilogue, as our own AVX-512 loop;
// and Sigmoid alone (YOLO's class scores) with the same arithmetic.
//
// Why not oneDNN's: its swish (exp, then a division) runs at ~8.6 Gelem/s on
// two Zen 5 cores as a post-op or an eltwise step; this one at ~14 (a Cephes
// exp polynomial scaled with vscalefps, the division by rcp14 and one Newton
// step). As a separate step after a convolution without post-ops it beats the
// fused post-op where the convolution does little work per output element
// (conv.cpp), and after a Winograd convolution (which refuses swish post-ops)
// it replaces oneDNN's eltwise step and the residual's binary step.
//
// Accuracy: relative error below 4e-6 of x * sigmoid(x) over [-100, 100]
// (exp: Cephes minimax polynomial on [-ln2/2, ln2/2], ~1 ulp; reciprocal: 14
// bits refined to ~28 by the Newton step), well inside the float32 parity the
// tests ask of whole models.
//
// bf16 outputs keep 8 mantissa bits (relative rounding error up to 2^-9), so
// their SiLU uses cheaper arithmetic (silu16_bf16): 2^t as 2^floor(t) times a
// cubic in frac(t), and rcp14 without the Newton step; relative error below
// 1.5e-4 before rounding to bf16 (0.5 % of bf16 values round one ulp away from
// the exactly rounded result). Half the instructions: 410k bf16 elements,
// one Zen 5 thread, 0.090 ms -> 0.039 ms; YOLOv8n's 57 SiLU steps 3.2 -> 1.4 ms
// of CPU time.
#include "backends/onednn/native_swish.h"

#include "backends/onednn/native_math.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <omp.h>

namespace tilescope::engine::onednn {
namespace {

enum class Logistic { kSilu, kSigmoid };

// 1 / (1 + exp(-x)), with -x clamped so that exp stays finite and normal.
TS_AVX512 inline __m512 sigmoid16(__m512 x) {
  const __m512 t = _mm512_min_ps(_mm512_max_ps(_mm512_sub_ps(_mm512_setzero_ps(), x), _mm512_set1_ps(-87.0f)),
                                 _mm512_set1_ps(87.0f));
  return reciprocal16(_mm512_add_ps(exp16(t), _mm512_set1_ps(1.0f)));
}

template <Logistic kind> TS_AVX512 inline __m512 apply16(__m512 x) {
  const __m512 s = sigmoid16(x);
  return kind == Logistic::kSilu ? _mm512_mul_ps(x, s) : s;
}

template <Logistic kind>
TS_AVX512 void logistic_avx512(const float* src, float* dst, const float* sum, std::ptrdiff_t n) {
  std::ptrdiff_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 y = apply16<kind>(_mm512_loadu_ps(src + i));
    if (sum != nullptr) y = _mm512_add_ps(y, _mm512_loadu_ps(sum + i));
    _mm512_storeu_ps(dst + i, y);
  }
  if (i < n) {
    const auto m = static_cast<__mmask16>((1u << (n - i)) - 1);
    __m512 y = apply16<kind>(_mm512_maskz_loadu_ps(m, src + i));
    if (sum != nullptr) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(m, sum + i));
    _mm512_mask_storeu_ps(dst + i, m, y);
  }
}

// bf16 <-> f32: a bf16 is the top half of an f32. Rounding to nearest even by
// integer arithmetic (no AVX512-BF16 instruction needed); the inputs here are
// finite (clamped exp), so NaN handling is not needed.
TS_AVX512 inline __m512 load_bf16(const std::uint16_t* p) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

TS_AVX512 inline void store_bf16(std::uint16_t* p, __m512 y) {
  const __m512i i = _mm512_castps_si512(y);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(i, 16), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_add_epi32(i, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(_mm512_srli_epi32(rounded, 16)));
}

inline float bf16_to_float(std::uint16_t h) {
  const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline std::uint16_t float_to_bf16(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return static_cast<std::uint16_t>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

// x * sigmoid(x) to bf16 accuracy (see the top of the file). exp(-x) =
// 2^t with t = -x log2(e) = n + f, n = floor(t), f in [0, 1): 2^f by a
// least-squares cubic (relative error 1.4e-4), scaled by 2^n with vscalefps,
// which also saturates: x -> -inf gives 1 / inf = 0, x -> +inf gives x.
TS_AVX512 inline __m512 silu16_bf16(__m512 x) {
  const __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(-1.44269504088896341f));
  const __m512 f = _mm512_sub_ps(t, _mm512_roundscale_ps(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
  __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(0.0778225361f), f, _mm512_set1_ps(0.225871848f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.69616939f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.999864151f));
  const __m512 e = _mm512_scalef_ps(p, t); // p * 2^floor(t)
  return _mm512_mul_ps(x, _mm512_rcp14_ps(_mm512_add_ps(e, _mm512_set1_ps(1.0f))));
}

void silu_bf16_scalar(const std::uint16_t* src, std::uint16_t* dst, const std::uint16_t* sum,
                      std::ptrdiff_t n) {
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    const float x = bf16_to_float(src[i]);
    const float y = x / (1.0f + std::exp(-x)) + (sum != nullptr ? bf16_to_float(sum[i]) : 0.0f);
    dst[i] = float_to_bf16(y);
  }
}

TS_AVX512 void silu_bf16_avx512(const std::uint16_t* src, std::uint16_t* dst, const std::uint16_t* sum,
                                std::ptrdiff_t n) {
  std::ptrdiff_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 y = silu16_bf16(load_bf16(src + i));
    if (sum != nullptr) y = _mm512_add_ps(y, load_bf16(sum + i));
    store_bf16(dst + i, y);
  }
  silu_bf16_scalar(src + i, dst + i, sum != nullptr ? sum + i : nullptr, n - i);
}

// The same with AVX512-BF16's rounding conversion (one instruction for the
// integer steps of store_bf16). Zen 5, 2 threads, 410k elements in L2:
// f32 SiLU 0.074 ms, bf16 with integer rounding 0.114 ms, with this 0.067 ms.
#define TS_AVX512_BF16 __attribute__((target("avx512f,avx512bf16,avx512vl")))

TS_AVX512_BF16 void silu_bf16_native(const std::uint16_t* src, std::uint16_t* dst, const std::uint16_t* sum,
                                     std::ptrdiff_t n) {
  std::ptrdiff_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 y = silu16_bf16(load_bf16(src + i));
    if (sum != nullptr) y = _mm512_add_ps(y, load_bf16(sum + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i),
                        reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(y)));
  }
  silu_bf16_scalar(src + i, dst + i, sum != nullptr ? sum + i : nullptr, n - i);
}

bool has_avx512_bf16() {
  static const bool available = __builtin_cpu_supports("avx512bf16");
  return available;
}

template <Logistic kind>
void logistic_scalar(const float* src, float* dst, const float* sum, std::ptrdiff_t n) {
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    const float x = src[i];
    const float s = 1.0f / (1.0f + std::exp(-x));
    dst[i] = (kind == Logistic::kSilu ? x * s : s) + (sum != nullptr ? sum[i] : 0.0f);
  }
}

// Elementwise, so any dense layout (padded blocks included: f(0) + 0 stays in
// the padding, which nobody reads as data) is one flat array.
// fn(begin, count) over [0, n) in one chunk per OpenMP thread, each a multiple
// of `align` elements (whole cache lines, so threads never share one).
template <class Fn> void parallel_chunks(std::ptrdiff_t n, std::ptrdiff_t align, const Fn& fn) {
#pragma omp parallel
  {
    const std::ptrdiff_t threads = omp_get_num_threads();
    const std::ptrdiff_t chunk = ((n + threads - 1) / threads + align - 1) / align * align;
    const std::ptrdiff_t begin = omp_get_thread_num() * chunk;
    const std::ptrdiff_t count = std::min(n - begin, chunk);
    if (count > 0) fn(begin, count);
  }
}

template <Logistic kind> class LogisticKernel final : public NativeKernel {
public:
  explicit LogisticKernel(bool with_sum) : with_sum_(with_sum) {}

  void run(const std::unordered_map<int, dnnl::memory>& args) override {
    const dnnl::memory& dst = args.at(DNNL_ARG_DST);
    auto* d = static_cast<float*>(dst.get_data_handle());
    const auto* x = static_cast<const float*>(args.at(DNNL_ARG_SRC).get_data_handle());
    const float* s =
        with_sum_ ? static_cast<const float*>(args.at(DNNL_ARG_SRC_1).get_data_handle()) : nullptr;
    const auto n = static_cast<std::ptrdiff_t>(dst.get_desc().get_size() / sizeof(float));
    const bool avx512 = native_kernels_available();
    parallel_chunks(n, 16, [&](std::ptrdiff_t begin, std::ptrdiff_t count) { // 16 floats: one line
      const float* sum = s != nullptr ? s + begin : nullptr;
      if (avx512) {
        logistic_avx512<kind>(x + begin, d + begin, sum, count);
      } else {
        logistic_scalar<kind>(x + begin, d + begin, sum, count);
      }
    });
  }

private:
  bool with_sum_;
};

class SiluBf16Kernel final : public NativeKernel {
public:
  explicit SiluBf16Kernel(bool with_sum) : with_sum_(with_sum) {}

  void run(const std::unordered_map<int, dnnl::memory>& args) override {
    const dnnl::memory& dst = args.at(DNNL_ARG_DST);
    auto* d = static_cast<std::uint16_t*>(dst.get_data_handle());
    const auto* x = static_cast<const std::uint16_t*>(args.at(DNNL_ARG_SRC).get_data_handle());
    const std::uint16_t* s =
        with_sum_ ? static_cast<const std::uint16_t*>(args.at(DNNL_ARG_SRC_1).get_data_handle()) : nullptr;
    const auto n = static_cast<std::ptrdiff_t>(dst.get_desc().get_size() / sizeof(std::uint16_t));
    const bool avx512 = native_kernels_available();
    parallel_chunks(n, 32, [&](std::ptrdiff_t begin, std::ptrdiff_t count) { // 32 bf16: one line
      const std::uint16_t* sum = s != nullptr ? s + begin : nullptr;
      if (avx512 && has_avx512_bf16()) {
        silu_bf16_native(x + begin, d + begin, sum, count);
      } else if (avx512) {
        silu_bf16_avx512(x + begin, d + begin, sum, count);
      } else {
        silu_bf16_scalar(x + begin, d + begin, sum, count);
      }
    });
  }

private:
  bool with_sum_;
};

} // namespace

std::unique_ptr<NativeKernel> make_swish_kernel_bf16(bool with_sum) {
  return std::make_unique<SiluBf16Kernel>(with_sum);
}

bool native_swish_available() { return native_kernels_available(); }

std::unique_ptr<NativeKernel> make_swish_kernel(bool with_sum) {
  return std::make_unique<LogisticKernel<Logistic::kSilu>>(with_sum);
}

std::unique_ptr<NativeKernel> make_sigmoid_kernel() {
  return std::make_unique<LogisticKernel<Logistic::kSigmoid>>(false);
}

} // namespace tilescope::engine::onednn
