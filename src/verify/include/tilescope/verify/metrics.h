// Error metrics between a reference tensor r and a candidate tensor c of the
// same shape, the numbers `tilescope verify` reports per node:
//
//   max_abs      max |c - r|
//   max_rel      max |c - r| / max(|r|, kRelativeFloor * RMS(r))    (per tensor pair)
//   rmse         sqrt(mean (c - r)^2)
//   rel_rmse     rmse / RMS(r): the error relative to the reference's magnitude
//   cosine       <c, r> / (|c| |r|)   (1 when both are zero)
//   beyond_share share of elements with |c - r| > atol_rms * RMS(r) + rtol * |r|
//
// beyond_share is numpy's allclose rule with the absolute term in units of the
// tensor's RMS, so that one tolerance fits layers of every scale: a float32
// dot product's error grows with the magnitude of its terms, and a YOLO head's
// box outputs are hundreds of pixels where its early activations are ~1.
//
// The floor in max_rel keeps elements that are tiny next to the rest of the
// tensor (a ReLU's near-zeros, a sigmoid's saturated tail) from reporting huge
// relative errors that are harmless; those elements still count in max_abs,
// rmse and beyond_share. Non-finite values: a NaN or infinity on one side that
// the other does not have counts as a mismatch (nonfinite_mismatches) and as
// beyond tolerance; matching non-finite pairs are left out of the sums.
#pragma once

#include "tilescope/engine/tensor.h"

#include <cstdint>

namespace tilescope::verify {

inline constexpr double kRelativeFloor = 1e-3;

struct Tolerance {
  double atol_rms = 0; // absolute term, in units of RMS(r) (per tensor pair)
  double rtol = 0;
};

struct ErrorStats {
  std::int64_t elements = 0;
  double max_abs = 0;
  double max_rel = 0;
  double rmse = 0;
  double ref_rms = 0;
  double rel_rmse = 0; // 0 when rmse is 0; infinite when only the reference is all zero
  double cosine = 1;
  double beyond_share = 0;
  std::int64_t nonfinite_mismatches = 0;
};

// Sums over any number of tensor pairs (e.g. one per verification input), so
// that the statistics cover them all as one set of elements; max_rel's floor
// is taken per pair. Tensors of any numeric dtype, converted to double.
class ErrorAccumulator {
public:
  explicit ErrorAccumulator(Tolerance tolerance = {}) : tolerance_(tolerance) {}
  // Throws Error when the shapes differ.
  void add(const engine::Tensor& reference, const engine::Tensor& candidate);
  ErrorStats stats() const;
  const Tolerance& tolerance() const { return tolerance_; }

private:
  Tolerance tolerance_;
  std::int64_t elements_ = 0;
  std::int64_t beyond_ = 0;
  std::int64_t nonfinite_mismatches_ = 0;
  double max_abs_ = 0, max_rel_ = 0;
  double sum_sq_diff_ = 0, sum_sq_ref_ = 0, sum_sq_cand_ = 0, sum_dot_ = 0;
};

// One pair.
ErrorStats compare_tensors(const engine::Tensor& reference, const engine::Tensor& candidate,
                           Tolerance tolerance = {});

} // namespace tilescope::verify
