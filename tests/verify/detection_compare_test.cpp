// Detection comparison on hand-made boxes: matching (same class, IoU >= 0.5),
// score deltas, misses / extras, and mAP@0.5 with the reference as ground truth.
#include "tilescope/verify/detection_compare.h"

#include <gtest/gtest.h>

namespace tilescope::verify {
namespace {

using detect::Detection;

Detection det(float x1, float y1, float x2, float y2, float score, int cls) {
  return Detection{{x1, y1, x2, y2}, score, cls};
}

TEST(VerifyDetections, IdenticalDetectionsScorePerfectly) {
  DetectionComparer cmp(3, 0.25f);
  const std::vector<Detection> dets = {det(0, 0, 10, 10, 0.9f, 0), det(20, 20, 40, 40, 0.6f, 2)};
  cmp.add(dets, dets);
  const DetectionComparison r = cmp.result();
  EXPECT_EQ(r.images, 1);
  EXPECT_EQ(r.reference, 2);
  EXPECT_EQ(r.candidate, 2);
  EXPECT_EQ(r.matched, 2);
  EXPECT_EQ(r.missed, 0);
  EXPECT_EQ(r.extra, 0);
  EXPECT_DOUBLE_EQ(r.mean_iou, 1.0);
  EXPECT_DOUBLE_EQ(r.max_score_delta, 0.0);
  EXPECT_DOUBLE_EQ(r.map50, 1.0);
}

TEST(VerifyDetections, ShiftedScoredMissedAndExtra) {
  DetectionComparer cmp(2, 0.25f);
  const std::vector<Detection> ref = {
      det(0, 0, 10, 10, 0.9f, 0),        // candidate shifted by 1 px: IoU 90/110 = 0.818
      det(50, 50, 60, 60, 0.8f, 1),      // candidate has it as class 0 only: missed
      det(100, 100, 110, 110, 0.5f, 0)}; // candidate scores it 0.2 (below the threshold): still a match
  const std::vector<Detection> cand = {det(1, 0, 11, 10, 0.85f, 0), det(50, 50, 60, 60, 0.8f, 0),
                                       det(100, 100, 110, 110, 0.2f, 0), det(200, 200, 220, 220, 0.7f, 1)};
  cmp.add(ref, cand);
  const DetectionComparison r = cmp.result();
  EXPECT_EQ(r.reference, 3);
  EXPECT_EQ(r.candidate, 3); // 0.85, 0.8, 0.7 are above 0.25
  EXPECT_EQ(r.matched, 2);
  EXPECT_EQ(r.missed, 1);
  EXPECT_EQ(r.extra, 2); // the class-0 box at (50,50) and the box at (200,200)
  EXPECT_NEAR(r.mean_iou, (90.0 / 110 + 1.0) / 2, 1e-6);
  EXPECT_NEAR(r.max_score_delta, 0.3, 1e-6);
  EXPECT_NEAR(r.mean_score_delta, (0.05 + 0.3) / 2, 1e-6);
  // Class 0: two ground truths, candidates by score 0.85 (TP), 0.8 (FP), 0.2 (TP):
  // interpolated precision is 1 up to recall 0.5 and 2/3 up to 1, so at COCO's 101
  // recall points AP = (51 * 1 + 50 * 2/3) / 101. Class 1: its one ground truth is
  // never found (the only class-1 candidate is elsewhere): AP 0. mAP: the mean.
  const double ap0 = (51 + 50 * 2.0 / 3) / 101;
  EXPECT_NEAR(r.map50, ap0 / 2, 1e-9);
}

TEST(VerifyDetections, NothingDetectedLeavesMapUndefined) {
  DetectionComparer cmp(80, 0.25f);
  cmp.add({}, {det(0, 0, 5, 5, 0.1f, 3)});
  const DetectionComparison r = cmp.result();
  EXPECT_EQ(r.reference, 0);
  EXPECT_EQ(r.extra, 0); // 0.1 is below the threshold
  EXPECT_EQ(r.map50, -1);
}

TEST(VerifyDetections, ImagesWhereTheReferenceHitItsCapAreLeftOut) {
  DetectionComparer cmp(1, 0.25f);
  cmp.add({det(0, 0, 10, 10, 0.9f, 0)}, {}, /*reference_capped=*/true); // would be a miss
  cmp.add({det(0, 0, 10, 10, 0.9f, 0)}, {det(0, 0, 10, 10, 0.9f, 0)});
  const DetectionComparison r = cmp.result();
  EXPECT_EQ(r.images, 1);
  EXPECT_EQ(r.capped_images, 1);
  EXPECT_EQ(r.missed, 0);
  EXPECT_DOUBLE_EQ(r.map50, 1.0);
}

TEST(VerifyDetections, EachCandidateMatchesOnce) {
  // Two reference boxes on top of each other, one candidate: the higher-scored
  // reference box takes it, the other is missed.
  DetectionComparer cmp(1, 0.25f);
  cmp.add({det(0, 0, 10, 10, 0.5f, 0), det(0, 0, 10, 10, 0.9f, 0)}, {det(0, 0, 10, 10, 0.88f, 0)});
  const DetectionComparison r = cmp.result();
  EXPECT_EQ(r.matched, 1);
  EXPECT_EQ(r.missed, 1);
  EXPECT_NEAR(r.max_score_delta, 0.02, 1e-6);
}

} // namespace
} // namespace tilescope::verify
