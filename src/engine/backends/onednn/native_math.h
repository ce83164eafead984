// AVX-512 building blocks of the native kernels (native_swish.cpp,
// native_softmax.cpp). Callers check native_kernels_available() before
// running code compiled with TS_AVX512: the rest of the project is built
// for baseline x86-64.
#pragma once

#include <immintrin.h>

#define TS_AVX512 __attribute__((target("avx512f")))

namespace tilescope::engine::onednn {

// True when the CPU has AVX-512F (checked once).
inline bool native_kernels_available() {
  static const bool available = __builtin_cpu_supports("avx512f");
  return available;
}

// exp(x) for x in [-87, 87] (callers clamp): 2^n * exp(r), r = x - n ln2 in
// [-ln2/2, ln2/2], exp(r) by Cephes' minimax polynomial (~1 ulp), scaled with
// vscalefps. Relative error below 2e-7.
TS_AVX512 inline __m512 exp16(__m512 x) {
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x); // ln2 in two parts (Cephes)
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

// 1 / d to ~28 bits: rcp14 and one Newton step (a division costs more here).
TS_AVX512 inline __m512 reciprocal16(__m512 d) {
  const __m512 inv = _mm512_rcp14_ps(d);
  return _mm512_mul_ps(inv, _mm512_fnmadd_ps(d, inv, _mm512_set1_ps(2.0f)));
}

} // namespace tilescope::engine::onednn
