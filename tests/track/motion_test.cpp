// MotionDetector on synthetic frames: a 1280x720 grey background with fresh Gaussian
// noise every frame (fixed seed) and a bright 40x40 square. Expected regions are the
// square's known positions, in original pixels.
#include "tilescope/core/error.h"
#include "tilescope/track/motion.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace tilescope::track {
namespace {

constexpr int kWidth = 1280;
constexpr int kHeight = 720;
constexpr int kSquare = 40;
constexpr double kBackground = 90;
constexpr double kSquareLevel = 220; // contrast 130, far above threshold 25
constexpr double kNoiseSigma = 6;    // ~1.5 after 4x4 area averaging: never reaches 25

// 1280x720 -> 320x180: one analysed pixel is 4x4 original pixels. A box edge can move
// outwards by the 5x5 blur's radius (2 px), the two 3x3 dilations (2 px) and the
// rounding of a partly covered pixel (1 px): at most 5 analysed px = 20 original px.
// Measured: 11 to 13 px on every side (the blurred edge rarely crosses the threshold).
constexpr float kSlack = 20;

class Scene {
public:
  explicit Scene(double brightness = kBackground) : rng_(12345), brightness_(brightness) {}
  void set_brightness(double b) { brightness_ = b; }

  // One BGR frame; square top-left at (x, y) when x >= 0.
  cv::Mat frame(int x = -1, int y = -1) {
    cv::Mat grey(kHeight, kWidth, CV_32F);
    rng_.fill(grey, cv::RNG::NORMAL, brightness_, kNoiseSigma);
    if (x >= 0) grey(cv::Rect(x, y, kSquare, kSquare) & cv::Rect(0, 0, kWidth, kHeight)).setTo(kSquareLevel);
    cv::Mat grey8, bgr;
    grey.convertTo(grey8, CV_8U); // saturates
    cv::cvtColor(grey8, bgr, cv::COLOR_GRAY2BGR);
    return bgr;
  }

private:
  cv::RNG rng_;
  double brightness_;
};

std::string describe(const detect::BoxXYXY& b) {
  return "[" + std::to_string(b.x1) + ", " + std::to_string(b.y1) + ", " + std::to_string(b.x2) + ", " +
         std::to_string(b.y2) + "]";
}

// `box` contains the square at (x, y) and lies within it grown by kSlack on every side.
void expect_tight_around(const detect::BoxXYXY& box, int x, int y, int frame) {
  SCOPED_TRACE("frame " + std::to_string(frame) + " square at (" + std::to_string(x) + ", " +
               std::to_string(y) + ") box " + describe(box));
  EXPECT_LE(box.x1, x);
  EXPECT_LE(box.y1, y);
  EXPECT_GE(box.x2, x + kSquare);
  EXPECT_GE(box.y2, y + kSquare);
  EXPECT_GE(box.x1, x - kSlack);
  EXPECT_GE(box.y1, y - kSlack);
  EXPECT_LE(box.x2, x + kSquare + kSlack);
  EXPECT_LE(box.y2, y + kSquare + kSlack);
}

TEST(MotionDetector, AnalysisSizeKeepsAspectAndNeverUpscales) {
  MotionDetector md;
  md.update(cv::Mat(720, 1280, CV_8UC3, cv::Scalar::all(0)));
  EXPECT_EQ(md.analysis_size(), cv::Size(320, 180));
  md.update(cv::Mat(1280, 720, CV_8UC3, cv::Scalar::all(0)));
  EXPECT_EQ(md.analysis_size(), cv::Size(180, 320));
  md.update(cv::Mat(100, 200, CV_8UC3, cv::Scalar::all(0)));
  EXPECT_EQ(md.analysis_size(), cv::Size(200, 100));
}

TEST(MotionDetector, FirstFrameInitialisesAndReportsNoMotion) {
  Scene scene;
  MotionDetector md;
  const MotionResult r = md.update(scene.frame(600, 300));
  EXPECT_TRUE(r.initialised);
  EXPECT_FALSE(r.global_change);
  EXPECT_TRUE(r.regions.empty());
  EXPECT_EQ(r.moving_fraction, 0);
}

TEST(MotionDetector, StaticNoisySceneHasNoRegions) {
  Scene scene;
  MotionDetector md;
  md.update(scene.frame());
  for (int f = 1; f < 20; ++f) {
    const MotionResult r = md.update(scene.frame());
    EXPECT_FALSE(r.initialised);
    EXPECT_TRUE(r.regions.empty()) << "frame " << f << " first region " << describe(r.regions.front());
    EXPECT_EQ(r.moving_fraction, 0) << "frame " << f;
  }
}

// The square moves 16 px a frame, so a pixel is covered at most 3 frames in a row and the
// background there rises by at most 130 * (1 - 0.95^3) = 18.5 < 25: no trail behind it.
// Odd start coordinates exercise the 4-pixel quantisation.
TEST(MotionDetector, MovingSquareGivesOneRegionAroundIt) {
  Scene scene;
  MotionDetector md;
  constexpr int kY = 301;
  // Empty first frame: a square present there would be part of the background and leave
  // a "ghost" region where it was until the average forgets it (~33 frames).
  md.update(scene.frame());
  for (int f = 1; f <= 30; ++f) {
    const int x = 187 + 16 * f;
    const MotionResult r = md.update(scene.frame(x, kY));
    ASSERT_EQ(r.regions.size(), 1u) << "frame " << f << " square at x=" << x;
    expect_tight_around(r.regions[0], x, kY, f);
    // 10x10 analysed pixels of 57600 over the threshold, give or take the blurred border.
    EXPECT_GT(r.moving_fraction, 64.0 / 57600) << "frame " << f;
    EXPECT_LT(r.moving_fraction, 196.0 / 57600) << "frame " << f;
  }
}

TEST(MotionDetector, TwoMovingSquaresGiveTwoRegions) {
  Scene scene;
  MotionDetector md;
  md.update(scene.frame());
  // Drawn by hand on one frame: a second square on top of Scene's.
  cv::Mat frame = scene.frame(100, 100);
  frame(cv::Rect(900, 500, kSquare, kSquare)).setTo(cv::Scalar::all(kSquareLevel));
  const MotionResult r = md.update(frame);
  ASSERT_EQ(r.regions.size(), 2u);
  // Same size, so order by area is not fixed: pick by position.
  const auto& left = r.regions[0].x1 < r.regions[1].x1 ? r.regions[0] : r.regions[1];
  const auto& right = r.regions[0].x1 < r.regions[1].x1 ? r.regions[1] : r.regions[0];
  expect_tight_around(left, 100, 100, 1);
  expect_tight_around(right, 900, 500, 1);
}

// After the square stops, the background absorbs it: the difference there is
// 130 * 0.95^n, under 25 from n = 33 on. Allow margin for blur and noise: still at
// frame 1 (must be seen), gone by frame 45 and staying gone.
TEST(MotionDetector, StoppedSquareDecaysIntoBackground) {
  Scene scene;
  MotionDetector md;
  md.update(scene.frame()); // empty: see MovingSquareGivesOneRegionAroundIt
  int x = 400;
  for (int f = 1; f <= 10; ++f)
    md.update(scene.frame(x += 16, 200));
  int last_with_regions = -1;
  for (int n = 1; n <= 80; ++n) {
    const MotionResult r = md.update(scene.frame(x, 200));
    if (n == 1) {
      ASSERT_EQ(r.regions.size(), 1u);
      expect_tight_around(r.regions[0], x, 200, n);
    }
    if (!r.regions.empty()) last_with_regions = n;
  }
  EXPECT_GE(last_with_regions, 25); // 130 * 0.95^25 = 36 > 25: still moving then
  EXPECT_LE(last_with_regions, 45);
}

// A square that stood still for a while and then walks away leaves a ghost: the running
// average still holds it where it stood. The ghost does not change from frame to frame,
// so the ghost filter drops it one frame after the square left; without the filter it
// stays a region for ~20 frames (70 grey levels of bg error decaying by 0.95 per frame).
TEST(MotionDetector, GhostFilterDropsWhereTheSquareStood) {
  const auto overlaps_start = [](const detect::BoxXYXY& b) { return b.x1 < 440 && b.x2 > 400; };
  int frames_with_ghost[2] = {0, 0};
  for (const bool filter : {false, true}) {
    Scene scene;
    MotionOptions options;
    options.change_threshold = filter ? 15 : 0;
    MotionDetector md(options);
    md.update(scene.frame());
    for (int f = 0; f < 15; ++f)
      md.update(scene.frame(400, 200)); // 130 * (1 - 0.95^15) = 70 levels into the background
    int x = 400;
    for (int f = 1; f <= 30; ++f) {
      x += 24; // leaves (400, 200) at once: the square is 40 px wide
      const MotionResult r = md.update(scene.frame(x, 200));
      SCOPED_TRACE("filter " + std::to_string(filter) + " frame " + std::to_string(f));
      ASSERT_FALSE(r.regions.empty()) << "the walking square is a region";
      const bool found_square =
          std::any_of(r.regions.begin(), r.regions.end(), [x](const detect::BoxXYXY& b) {
            return b.x1 <= x && b.x2 >= x + kSquare && b.y1 <= 200 && b.y2 >= 200 + kSquare;
          });
      EXPECT_TRUE(found_square);
      // From the 4th frame on the square is 96+ px away (blur and dilation join blobs up to
      // ~8 analysed px = 32 px apart), so a region over x 400-440 is the ghost alone.
      if (f >= 4 && std::any_of(r.regions.begin(), r.regions.end(), overlaps_start))
        frames_with_ghost[filter]++;
    }
  }
  EXPECT_GE(frames_with_ghost[0], 10) << "without the filter the ghost stays";
  EXPECT_EQ(frames_with_ghost[1], 0) << "the filter drops it";
}

TEST(MotionDetector, RegionAtFrameEdgeIsClamped) {
  Scene scene;
  MotionDetector md;
  md.update(scene.frame());
  const MotionResult r = md.update(scene.frame(kWidth - 20, kHeight - 20)); // 20x20 visible
  ASSERT_EQ(r.regions.size(), 1u);
  const auto& b = r.regions[0];
  EXPECT_EQ(b.x2, kWidth) << describe(b);
  EXPECT_EQ(b.y2, kHeight) << describe(b);
  EXPECT_LE(b.x1, kWidth - 20) << describe(b);
  EXPECT_GE(b.x1, kWidth - 20 - kSlack) << describe(b);
}

TEST(MotionDetector, RegionSmallerThanMinAreaIsDropped) {
  // 0.01 of 57600 = 576 analysed pixels; the dilated square is about 16x16 = 256.
  Scene scene;
  MotionDetector md({.min_area_fraction = 0.01});
  md.update(scene.frame());
  const MotionResult r = md.update(scene.frame(600, 300));
  EXPECT_TRUE(r.regions.empty());
  EXPECT_GT(r.moving_fraction, 0); // the pixels still count as moving
}

TEST(MotionDetector, GlobalBrightnessJumpReinitialisesBackground) {
  Scene scene;
  MotionDetector md;
  for (int f = 0; f < 5; ++f)
    md.update(scene.frame());
  scene.set_brightness(kBackground + 80); // lights on: every pixel changes by 80 > 25
  const MotionResult jump = md.update(scene.frame());
  EXPECT_TRUE(jump.global_change);
  EXPECT_FALSE(jump.initialised);
  EXPECT_TRUE(jump.regions.empty());
  EXPECT_GT(jump.moving_fraction, 0.99);
  // The new brightness is the background now, not a slow fade over ~40 frames.
  const MotionResult after = md.update(scene.frame());
  EXPECT_FALSE(after.global_change);
  EXPECT_TRUE(after.regions.empty());
  EXPECT_EQ(after.moving_fraction, 0);
  // And motion is seen against it.
  const MotionResult moving = md.update(scene.frame(640, 360));
  ASSERT_EQ(moving.regions.size(), 1u);
  expect_tight_around(moving.regions[0], 640, 360, 3);
}

TEST(MotionDetector, FrameSizeChangeAndResetReinitialise) {
  Scene scene;
  MotionDetector md;
  md.update(scene.frame());
  EXPECT_FALSE(md.update(scene.frame()).initialised);
  const MotionResult other = md.update(cv::Mat(480, 640, CV_8UC3, cv::Scalar::all(30)));
  EXPECT_TRUE(other.initialised);
  EXPECT_TRUE(other.regions.empty());
  EXPECT_EQ(md.analysis_size(), cv::Size(320, 240));
  md.reset();
  EXPECT_TRUE(md.update(cv::Mat(480, 640, CV_8UC3, cv::Scalar::all(200))).initialised);
}

TEST(MotionDetector, GreyFramesAccepted) {
  MotionDetector md;
  cv::Mat grey(360, 640, CV_8UC1, cv::Scalar(50));
  md.update(grey);
  grey(cv::Rect(300, 100, 40, 40)).setTo(200);
  const MotionResult r = md.update(grey);
  ASSERT_EQ(r.regions.size(), 1u);
  // 640x360 -> 320x180: 2x2 original px per analysed px, slack 5 analysed px = 10 px.
  EXPECT_LE(r.regions[0].x1, 300);
  EXPECT_GE(r.regions[0].x1, 290);
  EXPECT_GE(r.regions[0].y2, 140);
  EXPECT_LE(r.regions[0].y2, 150);
}

TEST(MotionDetector, RejectsBadFramesAndOptions) {
  MotionDetector md;
  EXPECT_THROW(md.update(cv::Mat()), Error);
  EXPECT_THROW(md.update(cv::Mat(10, 10, CV_32FC3)), Error);
  EXPECT_THROW(md.update(cv::Mat(10, 10, CV_8UC4)), Error);
  EXPECT_THROW(MotionDetector({.analysis_width = 0}), Error);
  EXPECT_THROW(MotionDetector({.blur_kernel = 4}), Error);
  EXPECT_THROW(MotionDetector({.background_alpha = 0}), Error);
  EXPECT_THROW(MotionDetector({.threshold = 255}), Error);
  EXPECT_THROW(MotionDetector({.global_change_fraction = 0}), Error);
  EXPECT_THROW(MotionDetector({.change_threshold = -1}), Error);
  EXPECT_THROW(MotionDetector({.min_changed_fraction = 1.5}), Error);
}

} // namespace
} // namespace tilescope::track
