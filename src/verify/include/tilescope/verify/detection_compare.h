// Decoded detections of a candidate against a reference's, image by image:
// matched pairs (same class, IoU >= 0.5, greedy by the reference's score, as
// COCO matches), their score differences, and the candidate's mAP@0.5 with the
// reference's detections as ground truth (tilescope_eval's COCO evaluation).
//
// The reference's detections are taken at the deployment threshold (the ground
// truth), the candidate's at a low one, as COCO evaluations score results: a
// box the reference keeps at 0.26 that the candidate scores 0.249 is then a
// match with a small score delta, not a miss.
//
// Images on which the reference kept its maximum number of boxes (NMS's
// max_detections) are left out and counted: its list is then cut through boxes
// of near-equal scores (an untrained network scores thousands of places alike),
// and a 1e-6 change moves the cut, which says nothing about the candidate.
#pragma once

#include "tilescope/detect/detection.h"

#include <cstdint>
#include <vector>

namespace tilescope::verify {

inline constexpr double kMatchIou = 0.5;

struct DetectionComparison {
  int images = 0;        // images compared
  int capped_images = 0; // images left out: the reference hit its detection cap
  int reference = 0;     // reference detections (score > conf threshold)
  int candidate = 0;     // candidate detections (score > conf threshold)
  int matched = 0;       // reference detections with a candidate partner
  int missed = 0;        // reference detections without one
  int extra = 0;         // candidate detections (score > conf threshold) without a reference partner
  double mean_iou = 0;   // over matched pairs
  double max_score_delta = 0;
  double mean_score_delta = 0;
  double map50 = -1; // -1: undefined (the reference found nothing)
};

class DetectionComparer {
public:
  DetectionComparer(int num_classes, float conf_threshold);
  // One image: `reference` above the threshold, `candidate` at a low threshold
  // (all the candidate's detections after NMS), boxes in the same pixel space.
  // `reference_capped`: the reference's list stopped at its cap (left out).
  void add(const std::vector<detect::Detection>& reference, const std::vector<detect::Detection>& candidate,
           bool reference_capped = false);
  DetectionComparison result() const;

private:
  struct Image {
    std::vector<detect::Detection> reference, candidate;
  };
  int num_classes_;
  float conf_threshold_;
  std::vector<Image> images_;
  int capped_images_ = 0;
};

} // namespace tilescope::verify
