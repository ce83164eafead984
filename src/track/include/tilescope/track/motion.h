// Per-camera motion detection on a downscaled copy of each frame, in the manner of
// Frigate's and OpenCV's classic running-average detectors: it gates where the tile
// planner looks, so it must be cheap and never miss large changes, not be precise.
//
// Per frame:
//   1. downscale (INTER_AREA) so the longer side is analysis_width (never upscale);
//   2. grey, Gaussian blur (suppresses sensor noise and compression blocks);
//   3. |frame - background| > threshold gives the moving mask, then the background is
//      updated as a running average: bg = (1 - alpha) * bg + alpha * frame;
//   4. dilate the mask (joins the fragments of one object), connected components;
//      components covering >= min_area_fraction of the analysed frame become regions,
//      mapped back to the original frame's pixels.
// The first frame, and any frame whose size differs from the previous one, initialises
// the background and reports no motion. When more than global_change_fraction of the
// pixels move at once (lights switched, camera moved, stream switched) the background is
// re-initialised to this frame and that is reported as a flag instead of one huge region.
#pragma once

#include "tilescope/detect/detection.h"

#include <opencv2/core/mat.hpp>
#include <vector>

namespace tilescope::track {

struct MotionOptions {
  int analysis_width = 320;            // longer side of the analysed copy, pixels
  int blur_kernel = 5;                 // Gaussian kernel size (odd); 1 = no blur
  double background_alpha = 0.05;      // running-average weight of the newest frame, (0, 1]
  int threshold = 25;                  // grey-level difference that counts as moving, [0, 255)
  int dilate_iterations = 2;           // 3x3 dilations of the moving mask
  double min_area_fraction = 0.0005;   // smallest region, as a fraction of the analysed frame
  double global_change_fraction = 0.6; // more moving pixels than this = global change
  // Ghost filter (0: off): a region is kept only when at least min_changed_fraction of its
  // pixels also differ from the previous frame by more than change_threshold grey levels.
  // Where a walking person was, the running-average background still holds them for a
  // while (a ghost that does not change from frame to frame); so does an object that stopped.
  int change_threshold = 0;
  double min_changed_fraction = 0.02;
};

struct MotionResult {
  // Moving regions in the original frame's pixels, clamped to the frame; sorted by
  // area, largest first. Empty on initialisation and on a global change.
  std::vector<detect::BoxXYXY> regions;
  // Fraction of analysed pixels over the threshold (before dilation), in [0, 1].
  double moving_fraction = 0;
  // The background was (re)initialised from this frame because it was the first one,
  // or its size differs from the previous frame's (after reset() too).
  bool initialised = false;
  // The background was re-initialised because moving_fraction > global_change_fraction.
  bool global_change = false;
};

class MotionDetector {
public:
  // Throws tilescope::Error for options out of range.
  explicit MotionDetector(MotionOptions options = {});

  // Feeds one 8-bit BGR frame (8-bit grey is accepted too). Throws tilescope::Error
  // for an empty frame or another pixel type.
  MotionResult update(const cv::Mat& frame);

  // Forgets the background; the next frame initialises it.
  void reset();

  const MotionOptions& options() const { return options_; }
  // Size of the analysed copy for the current frame size; empty before the first frame.
  cv::Size analysis_size() const { return analysis_size_; }

private:
  cv::Mat prepare(const cv::Mat& frame) const; // downscaled, grey, blurred, CV_32F

  MotionOptions options_;
  cv::Size frame_size_;
  cv::Size analysis_size_;
  cv::Mat background_; // CV_32F, analysis_size_
  cv::Mat previous_;   // CV_32F, the previous prepared frame (kept only with the ghost filter on)
};

} // namespace tilescope::track
