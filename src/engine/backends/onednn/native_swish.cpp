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
#include "backends/onednn/native_swish.h"

#include "backends/onednn/native_math.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
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
    // One chunk of whole cache lines per thread.
#pragma omp parallel
    {
      const std::ptrdiff_t threads = omp_get_num_threads();
      const std::ptrdiff_t chunk = ((n + threads - 1) / threads + 15) / 16 * 16;
      const std::ptrdiff_t begin = omp_get_thread_num() * chunk;
      const std::ptrdiff_t count = std::min(n - begin, chunk);
      if (count > 0) {
        const float* sum = s != nullptr ? s + begin : nullptr;
        if (avx512) {
          logistic_avx512<kind>(x + begin, d + begin, sum, count);
        } else {
          logistic_scalar<kind>(x + begin, d + begin, sum, count);
        }
      }
    }
  }

private:
  bool with_sum_;
};

} // namespace

bool native_swish_available() { return native_kernels_available(); }

std::unique_ptr<NativeKernel> make_swish_kernel(bool with_sum) {
  return std::make_unique<LogisticKernel<Logistic::kSilu>>(with_sum);
}

std::unique_ptr<NativeKernel> make_sigmoid_kernel() {
  return std::make_unique<LogisticKernel<Logistic::kSigmoid>>(false);
}

} // namespace tilescope::engine::onednn
