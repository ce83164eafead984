// Constant-velocity Kalman filter for boxes in image space, as in SORT / DeepSORT /
// ByteTrack (the reference's yolox/tracker/kalman_filter.py, same noise model).
//
// State (8): [cx, cy, a, h, vcx, vcy, va, vh]: box centre, aspect ratio a = w / h,
// height h, and their velocities per frame. Measurement (4): [cx, cy, a, h].
// Process and measurement noise scale with the box height, so a large (near) box
// is allowed to move more pixels per frame than a small (far) one.
#pragma once

#include "tilescope/detect/detection.h"

#include <array>
#include <utility>

namespace tilescope::track {

using StateVector = std::array<double, 8>;
using StateMatrix = std::array<std::array<double, 8>, 8>;
using MeasurementVector = std::array<double, 4>; // [cx, cy, a, h]

struct KalmanState {
  StateVector mean{};
  StateMatrix covariance{};
};

// Box corners <-> [cx, cy, a, h]. The box must have positive height.
MeasurementVector box_to_xyah(const detect::BoxXYXY& box);
detect::BoxXYXY xyah_to_box(double cx, double cy, double a, double h);
// The box of a state's position part.
detect::BoxXYXY state_box(const KalmanState& state);

class KalmanFilter {
public:
  // The reference's weights: position noise std = h / 20, velocity noise std = h / 160.
  static constexpr double kStdWeightPosition = 1.0 / 20;
  static constexpr double kStdWeightVelocity = 1.0 / 160;

  // A new track from one measurement: velocities 0, wide position uncertainty
  // (std 2 h / 20 for position, 10 h / 160 for velocity).
  KalmanState initiate(const MeasurementVector& measurement) const;
  // One frame ahead (dt = 1): x' = F x, P' = F P F^T + Q.
  KalmanState predict(const KalmanState& state) const;
  // Projects the state into measurement space: (H x, H P H^T + R).
  std::pair<MeasurementVector, std::array<std::array<double, 4>, 4>> project(const KalmanState& state) const;
  // Corrects the state with a measurement (standard Kalman update, gain through a
  // Cholesky solve of the 4x4 innovation covariance).
  KalmanState update(const KalmanState& state, const MeasurementVector& measurement) const;
};

} // namespace tilescope::track
