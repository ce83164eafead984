#include "tilescope/track/kalman_filter.h"

#include "tilescope/core/error.h"

#include <cmath>
#include <string>

namespace tilescope::track {

namespace {
using Mat4 = std::array<std::array<double, 4>, 4>;
} // namespace

MeasurementVector box_to_xyah(const detect::BoxXYXY& box) {
  const double w = box.width();
  const double h = box.height();
  return {box.x1 + w / 2, box.y1 + h / 2, w / h, h};
}

detect::BoxXYXY xyah_to_box(double cx, double cy, double a, double h) {
  const double w = a * h;
  return {static_cast<float>(cx - w / 2), static_cast<float>(cy - h / 2), static_cast<float>(cx + w / 2),
          static_cast<float>(cy + h / 2)};
}

detect::BoxXYXY state_box(const KalmanState& state) {
  return xyah_to_box(state.mean[0], state.mean[1], state.mean[2], state.mean[3]);
}

KalmanState KalmanFilter::initiate(const MeasurementVector& measurement) const {
  KalmanState s;
  for (int i = 0; i < 4; ++i)
    s.mean[i] = measurement[i];
  const double h = measurement[3];
  const std::array<double, 8> std_dev = {
      2 * kStdWeightPosition * h,  2 * kStdWeightPosition * h,  1e-2, 2 * kStdWeightPosition * h,
      10 * kStdWeightVelocity * h, 10 * kStdWeightVelocity * h, 1e-5, 10 * kStdWeightVelocity * h};
  for (int i = 0; i < 8; ++i)
    s.covariance[i][i] = std_dev[i] * std_dev[i];
  return s;
}

KalmanState KalmanFilter::predict(const KalmanState& state) const {
  // Noise is taken from the height before the step, as the reference does.
  const double h = state.mean[3];
  const std::array<double, 8> std_dev = {
      kStdWeightPosition * h, kStdWeightPosition * h, 1e-2, kStdWeightPosition * h,
      kStdWeightVelocity * h, kStdWeightVelocity * h, 1e-5, kStdWeightVelocity * h};
  KalmanState out;
  // F = [[I, I], [0, I]]: position += velocity.
  for (int i = 0; i < 4; ++i) {
    out.mean[i] = state.mean[i] + state.mean[i + 4];
    out.mean[i + 4] = state.mean[i + 4];
  }
  // F P: row i (< 4) = P[i] + P[i + 4]; rows >= 4 unchanged.
  StateMatrix fp = state.covariance;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j)
      fp[i][j] += state.covariance[i + 4][j];
  // (F P) F^T: column j (< 4) = col j + col j + 4.
  out.covariance = fp;
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j)
      out.covariance[i][j] += fp[i][j + 4];
  for (int i = 0; i < 8; ++i)
    out.covariance[i][i] += std_dev[i] * std_dev[i];
  return out;
}

std::pair<MeasurementVector, Mat4> KalmanFilter::project(const KalmanState& state) const {
  const double h = state.mean[3];
  // The aspect ratio's measurement noise is 1e-1 (versus 1e-2 process noise): the
  // reference's numbers, kept so tracks behave like theirs.
  const std::array<double, 4> std_dev = {kStdWeightPosition * h, kStdWeightPosition * h, 1e-1,
                                         kStdWeightPosition * h};
  MeasurementVector mean;
  Mat4 cov;
  for (int i = 0; i < 4; ++i) {
    mean[i] = state.mean[i];
    for (int j = 0; j < 4; ++j)
      cov[i][j] = state.covariance[i][j];
    cov[i][i] += std_dev[i] * std_dev[i];
  }
  return {mean, cov};
}

KalmanState KalmanFilter::update(const KalmanState& state, const MeasurementVector& measurement) const {
  const auto [projected_mean, s] = project(state);
  // Cholesky S = L L^T; S is symmetric positive definite (P is PSD, R > 0).
  Mat4 l{};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j <= i; ++j) {
      double sum = s[i][j];
      for (int k = 0; k < j; ++k)
        sum -= l[i][k] * l[j][k];
      if (i == j) {
        if (!(sum > 0))
          throw Error("KalmanFilter::update: innovation covariance is not positive definite (height " +
                      std::to_string(state.mean[3]) + ")");
        l[i][i] = std::sqrt(sum);
      } else {
        l[i][j] = sum / l[j][j];
      }
    }
  }
  // Gain K (8x4) = P H^T S^-1. P H^T is P's first 4 columns; solve K S = P H^T
  // row by row: S k^T = (P H^T)^T row, with S symmetric.
  std::array<std::array<double, 4>, 8> gain{};
  for (int r = 0; r < 8; ++r) {
    std::array<double, 4> y{};
    for (int i = 0; i < 4; ++i) { // L y = b
      double sum = state.covariance[r][i];
      for (int k = 0; k < i; ++k)
        sum -= l[i][k] * y[k];
      y[i] = sum / l[i][i];
    }
    for (int i = 3; i >= 0; --i) { // L^T x = y
      double sum = y[i];
      for (int k = i + 1; k < 4; ++k)
        sum -= l[k][i] * gain[r][k];
      gain[r][i] = sum / l[i][i];
    }
  }
  KalmanState out = state;
  std::array<double, 4> innovation;
  for (int i = 0; i < 4; ++i)
    innovation[i] = measurement[i] - projected_mean[i];
  for (int r = 0; r < 8; ++r)
    for (int i = 0; i < 4; ++i)
      out.mean[r] += gain[r][i] * innovation[i];
  // P' = P - K S K^T.
  std::array<std::array<double, 4>, 8> ks{};
  for (int r = 0; r < 8; ++r)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 4; ++k)
        ks[r][j] += gain[r][k] * s[k][j];
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 8; ++c)
      for (int k = 0; k < 4; ++k)
        out.covariance[r][c] -= ks[r][k] * gain[c][k];
  return out;
}

} // namespace tilescope::track
