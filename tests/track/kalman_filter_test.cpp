// Kalman filter numbers worked by hand. The state's blocks (cx, vcx), (cy, vcy),
// (a, va), (h, vh) never mix (F, H, Q and R keep them apart), so each block is a
// 1-D constant-velocity filter and the numbers below are 1-D arithmetic.
#include "tilescope/track/kalman_filter.h"

#include <gtest/gtest.h>

namespace tilescope::track {
namespace {

// Everything is double arithmetic on small numbers: 1e-9 leaves room only for rounding.
constexpr double kTol = 1e-9;

TEST(KalmanFilter, BoxConversionsRoundTrip) {
  const detect::BoxXYXY box{90, 10, 110, 90}; // w 20, h 80
  const MeasurementVector m = box_to_xyah(box);
  EXPECT_DOUBLE_EQ(m[0], 100);
  EXPECT_DOUBLE_EQ(m[1], 50);
  EXPECT_DOUBLE_EQ(m[2], 0.25);
  EXPECT_DOUBLE_EQ(m[3], 80);
  EXPECT_EQ(xyah_to_box(m[0], m[1], m[2], m[3]), box);
}

TEST(KalmanFilter, InitiatePredictUpdateByHand) {
  const KalmanFilter kf;
  // Measurement cx 100, cy 50, a 0.5, h 40.
  KalmanState s = kf.initiate({100, 50, 0.5, 40});
  // Initial std: position 2 * h / 20 = 4 (var 16), velocity 10 * h / 160 = 2.5 (var 6.25),
  // aspect 1e-2 (var 1e-4), aspect velocity 1e-5 (var 1e-10).
  EXPECT_NEAR(s.covariance[0][0], 16, kTol);
  EXPECT_NEAR(s.covariance[3][3], 16, kTol);
  EXPECT_NEAR(s.covariance[4][4], 6.25, kTol);
  EXPECT_NEAR(s.covariance[2][2], 1e-4, kTol);
  EXPECT_NEAR(s.covariance[6][6], 1e-10, 1e-15);
  EXPECT_EQ(s.covariance[0][4], 0);
  for (int i = 4; i < 8; ++i)
    EXPECT_EQ(s.mean[i], 0);

  // Predict, x block: x' = x + v = 100. P' = F P F^T + Q with F = [[1, 1], [0, 1]]:
  //   Pxx' = Pxx + 2 Pxv + Pvv + qx = 16 + 0 + 6.25 + (40/20)^2 = 26.25
  //   Pxv' = Pxv + Pvv             = 6.25
  //   Pvv' = Pvv + qv              = 6.25 + (40/160)^2 = 6.3125
  s = kf.predict(s);
  EXPECT_NEAR(s.mean[0], 100, kTol);
  EXPECT_NEAR(s.covariance[0][0], 26.25, kTol);
  EXPECT_NEAR(s.covariance[0][4], 6.25, kTol);
  EXPECT_NEAR(s.covariance[4][0], 6.25, kTol);
  EXPECT_NEAR(s.covariance[4][4], 6.3125, kTol);
  // Aspect: 1e-4 + 1e-10 + 1e-4 (process std 1e-2).
  EXPECT_NEAR(s.covariance[2][2], 2e-4 + 1e-10, 1e-15);

  // Update with cx = 104 (others unchanged). S = Pxx' + r = 26.25 + (40/20)^2 = 30.25,
  // gain (Kx, Kv) = (26.25, 6.25) / 30.25, innovation 4.
  s = kf.update(s, {104, 50, 0.5, 40});
  EXPECT_NEAR(s.mean[0], 100 + 4 * 26.25 / 30.25, kTol);
  EXPECT_NEAR(s.mean[4], 4 * 6.25 / 30.25, kTol);
  EXPECT_NEAR(s.mean[1], 50, kTol); // zero innovation in the other blocks
  EXPECT_NEAR(s.mean[3], 40, kTol);
  // P = P' - K S K^T: Pxx = 26.25 - 26.25^2 / 30.25, Pxv = 6.25 - 26.25 * 6.25 / 30.25,
  // Pvv = 6.3125 - 6.25^2 / 30.25.
  EXPECT_NEAR(s.covariance[0][0], 26.25 - 26.25 * 26.25 / 30.25, kTol);
  EXPECT_NEAR(s.covariance[0][4], 6.25 - 26.25 * 6.25 / 30.25, kTol);
  EXPECT_NEAR(s.covariance[4][4], 6.3125 - 6.25 * 6.25 / 30.25, kTol);
  // The blocks stay apart.
  EXPECT_NEAR(s.covariance[0][1], 0, kTol);
  EXPECT_NEAR(s.covariance[0][5], 0, kTol);

  // Next predict moves the centre by the estimated velocity.
  const double x = s.mean[0], v = s.mean[4];
  s = kf.predict(s);
  EXPECT_NEAR(s.mean[0], x + v, kTol);
}

TEST(KalmanFilter, ConvergesToConstantVelocity) {
  // Feeding a box that moves 3 px/frame right and 1 px/frame down: after 60 frames the
  // velocity estimate is within 0.05 px/frame (the filter's lag decays geometrically;
  // 0.05 is loose enough for any sane gain, tight enough to catch a sign or index error).
  const KalmanFilter kf;
  KalmanState s = kf.initiate({100, 100, 0.5, 80});
  for (int f = 1; f <= 60; ++f) {
    s = kf.predict(s);
    s = kf.update(s, {100.0 + 3 * f, 100.0 + f, 0.5, 80});
  }
  EXPECT_NEAR(s.mean[4], 3, 0.05);
  EXPECT_NEAR(s.mean[5], 1, 0.05);
  EXPECT_NEAR(s.mean[7], 0, 0.05);
  EXPECT_NEAR(s.mean[0], 280, 0.5);
}

} // namespace
} // namespace tilescope::track
