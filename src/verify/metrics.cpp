#include "tilescope/verify/metrics.h"

#include "tilescope/core/error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tilescope::verify {
namespace {

// RMS of the finite elements.
double finite_rms(const engine::Tensor& reference) {
  double sum_sq = 0;
  std::int64_t finite = 0;
  for (std::int64_t i = 0; i < reference.size(); ++i) {
    const double r = reference.get_as_double(i);
    if (std::isfinite(r)) sum_sq += r * r, ++finite;
  }
  return finite > 0 ? std::sqrt(sum_sq / static_cast<double>(finite)) : 0.0;
}

// Reads element i as double; float32 (nearly every compared value) without the
// generic dtype switch.
double element(const engine::Tensor& t, const float* f32, std::int64_t i) {
  return f32 != nullptr ? static_cast<double>(f32[i]) : t.get_as_double(i);
}

} // namespace

void ErrorAccumulator::add(const engine::Tensor& reference, const engine::Tensor& candidate) {
  if (reference.shape() != candidate.shape()) {
    throw Error("shapes differ: reference " + engine::shape_str(reference.shape()) + ", candidate " +
                engine::shape_str(candidate.shape()));
  }
  const float* ref_f32 = reference.dtype() == engine::DType::kFloat32 ? reference.data<float>() : nullptr;
  const float* cand_f32 = candidate.dtype() == engine::DType::kFloat32 ? candidate.data<float>() : nullptr;
  const double rms = finite_rms(reference);
  // The smallest |r| max_rel divides by; positive for all-zero references.
  const double floor = std::max(kRelativeFloor * rms, std::numeric_limits<double>::min());
  const double atol = tolerance_.atol_rms * rms;
  for (std::int64_t i = 0; i < reference.size(); ++i) {
    const double r = element(reference, ref_f32, i);
    const double c = element(candidate, cand_f32, i);
    ++elements_;
    if (!std::isfinite(r) || !std::isfinite(c)) {
      // NaN matches NaN, an infinity only itself.
      const bool same = (std::isnan(r) && std::isnan(c)) || r == c;
      if (!same) {
        ++nonfinite_mismatches_;
        ++beyond_;
        max_abs_ = max_rel_ = std::numeric_limits<double>::infinity();
      }
      continue;
    }
    const double d = std::abs(c - r);
    max_abs_ = std::max(max_abs_, d);
    max_rel_ = std::max(max_rel_, d / std::max(std::abs(r), floor));
    if (d > atol + tolerance_.rtol * std::abs(r)) ++beyond_;
    sum_sq_diff_ += d * d;
    sum_sq_ref_ += r * r;
    sum_sq_cand_ += c * c;
    sum_dot_ += r * c;
  }
}

ErrorStats ErrorAccumulator::stats() const {
  ErrorStats s;
  s.elements = elements_;
  s.nonfinite_mismatches = nonfinite_mismatches_;
  s.max_abs = max_abs_;
  s.max_rel = max_rel_;
  if (elements_ == 0) return s;
  const double n = static_cast<double>(elements_);
  s.rmse = std::sqrt(sum_sq_diff_ / n);
  s.ref_rms = std::sqrt(sum_sq_ref_ / n);
  if (s.rmse == 0) {
    s.rel_rmse = 0;
  } else {
    s.rel_rmse = s.ref_rms > 0 ? s.rmse / s.ref_rms : std::numeric_limits<double>::infinity();
  }
  if (sum_sq_ref_ == 0 && sum_sq_cand_ == 0) {
    s.cosine = 1;
  } else if (sum_sq_ref_ == 0 || sum_sq_cand_ == 0) {
    s.cosine = 0;
  } else {
    s.cosine = std::clamp(sum_dot_ / std::sqrt(sum_sq_ref_ * sum_sq_cand_), -1.0, 1.0);
  }
  s.beyond_share = static_cast<double>(beyond_) / n;
  if (nonfinite_mismatches_ > 0) {
    s.rmse = s.rel_rmse = std::numeric_limits<double>::infinity();
    s.cosine = 0;
  }
  return s;
}

ErrorStats compare_tensors(const engine::Tensor& reference, const engine::Tensor& candidate,
                           Tolerance tolerance) {
  ErrorAccumulator acc(tolerance);
  acc.add(reference, candidate);
  return acc.stats();
}

} // namespace tilescope::verify
