// Symmetric per-channel int8 weights: the scheme `tilescope model quantize`
// writes (src/quant, as ONNX Runtime's quantizer does) and the one the int8
// fold (passes/fold_qdq_conv.cpp) recovers from dequantized weights, so both
// must compute the scales alike:
//   s[c] = max |W[c]| / 127 (1 for an all-zero channel), W_q = round(W / s)
// in [-127, 127] (-128 unused: the range is symmetric around zero point 0).
#pragma once

#include "tilescope/engine/tensor.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tilescope::engine {

inline constexpr float kWeightQMax = 127.0f;

// One scale per output channel (dim 0) of float32 weights `w`.
inline std::vector<float> symmetric_weight_scales(const Tensor& w) {
  const std::int64_t channels = w.rank() > 0 ? w.shape()[0] : 0;
  const std::int64_t per = channels > 0 ? w.size() / channels : 0;
  std::vector<float> scales(static_cast<std::size_t>(channels));
  const float* v = w.data<float>();
  for (std::int64_t c = 0; c < channels; ++c) {
    float amax = 0;
    for (std::int64_t k = 0; k < per; ++k)
      amax = std::max(amax, std::fabs(v[c * per + k]));
    scales[static_cast<std::size_t>(c)] = amax > 0 ? amax / kWeightQMax : 1.0f;
  }
  return scales;
}

} // namespace tilescope::engine
