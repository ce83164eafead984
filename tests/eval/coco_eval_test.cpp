// COCOeval's rules on hand-computed cases. Every expected number is derived in
// the comment above it from pycocotools' algorithm:
//   - per IoU threshold t (0.50, 0.55, ..., 0.95), detections sorted by score;
//     tp/fp cumulative sums; rc = tp / #gt; pr = tp / (tp + fp);
//   - pr made non-increasing from the right;
//   - AP_t = mean over the 101 recall thresholds r = 0, 0.01, ..., 1 of pr[i],
//     i = first index with rc[i] >= r (0 when there is none);
//   - AP = mean of AP_t over the 10 thresholds; AR = mean over t of the last rc.
#include "coco_test_util.h"
#include "tilescope/core/error.h"

#include <algorithm>
#include <chrono>
#include <gtest/gtest.h>
#include <random>

namespace tilescope::eval {
namespace {

using test::Case;
using test::kTol;

constexpr int kM100 = 2; // maxDets index of 100

// One image, one category: the common setup.
Case one_image() {
  Case c;
  c.image(1).category(1);
  return c;
}

void expect_all(const CocoSummary& s, double ap, double ap50, double ap75, double aps, double apm, double apl,
                double ar1, double ar10, double ar100, double ars, double arm, double arl) {
  EXPECT_NEAR(s.ap, ap, kTol) << "AP";
  EXPECT_NEAR(s.ap50, ap50, kTol) << "AP50";
  EXPECT_NEAR(s.ap75, ap75, kTol) << "AP75";
  EXPECT_NEAR(s.ap_small, aps, kTol) << "APs";
  EXPECT_NEAR(s.ap_medium, apm, kTol) << "APm";
  EXPECT_NEAR(s.ap_large, apl, kTol) << "APl";
  EXPECT_NEAR(s.ar1, ar1, kTol) << "AR1";
  EXPECT_NEAR(s.ar10, ar10, kTol) << "AR10";
  EXPECT_NEAR(s.ar100, ar100, kTol) << "AR100";
  EXPECT_NEAR(s.ar_small, ars, kTol) << "ARs";
  EXPECT_NEAR(s.ar_medium, arm, kTol) << "ARm";
  EXPECT_NEAR(s.ar_large, arl, kTol) << "ARl";
}

TEST(CocoEval, Thresholds) {
  // numpy's linspace values; 0.50 and 0.75 must sit at the indices summarize() uses.
  EXPECT_EQ(CocoEvaluation::iou_threshold(0), 0.5);
  EXPECT_NEAR(CocoEvaluation::iou_threshold(CocoEvaluation::kIou75), 0.75, 1e-15);
  EXPECT_EQ(CocoEvaluation::iou_threshold(9), 0.95);
  EXPECT_EQ(CocoEvaluation::recall_threshold(0), 0.0);
  EXPECT_EQ(CocoEvaluation::recall_threshold(50), 0.5);
  EXPECT_EQ(CocoEvaluation::recall_threshold(100), 1.0);
}

TEST(CocoEval, PerfectDetectionsGiveOne) {
  // One object per image and category, one small (20², 400), one medium (50²,
  // 2500), one large (100², 10000), each found exactly: every metric is 1.
  Case c;
  c.image(1).image(2).category(1).category(2);
  c.gt(1, 1, {10, 10, 20, 20}).gt(1, 2, {100, 100, 50, 50}).gt(2, 1, {0, 0, 100, 100});
  c.dt(1, 1, {10, 10, 20, 20}, 0.9).dt(1, 2, {100, 100, 50, 50}, 0.3).dt(2, 1, {0, 0, 100, 100}, 0.6);
  const CocoEvaluation ev = c.run();
  expect_all(ev.summary(), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
  ASSERT_EQ(ev.per_category().size(), 2u);
  EXPECT_NEAR(ev.per_category()[0].ap, 1.0, kTol);
  EXPECT_EQ(ev.per_category()[0].num_gt, 2);
  EXPECT_EQ(ev.per_category()[1].num_detections, 1);
}

TEST(CocoEval, TwoObjectsWithKnownIous) {
  // gt A = [0,0,10,10], gt B = [100,100,10,10] (both area 100: small).
  // d1 (0.9) = [0,0,10,8.2]:     IoU with A = 82/100 = 0.82.
  // d2 (0.8) = [100,100,10,6.2]: IoU with B = 62/100 = 0.62.
  Case c = one_image();
  c.gt(1, 1, {0, 0, 10, 10}).gt(1, 1, {100, 100, 10, 10});
  c.dt(1, 1, {0, 0, 10, 8.2}, 0.9).dt(1, 1, {100, 100, 10, 6.2}, 0.8);
  const CocoEvaluation ev = c.run();
  // t = 0.50, 0.55, 0.60 (3 thresholds): both TP, rc = [.5, 1], pr = [1, 1] -> AP_t = 1.
  // t = 0.65 ... 0.80 (4): d1 TP, d2 FP, rc = [.5, .5], pr = [1, .5]; recall points
  //   0.00 ... 0.50 (51 of 101) find index 0 (precision 1), the rest none -> 51/101.
  // t = 0.85, 0.90, 0.95 (3): both FP -> 0.
  // AP = (3 + 4 * 51/101) / 10 = 507/1010; AP50 = 1; AP75 = 51/101.
  // AR100 = (3 * 1 + 4 * 0.5 + 3 * 0) / 10 = 0.5; AR1 keeps only d1 per image:
  //   (7 * 0.5) / 10 = 0.35. Everything is small: APs = AP, medium/large undefined.
  expect_all(ev.summary(), 507.0 / 1010, 1, 51.0 / 101, 507.0 / 1010, -1, -1, 0.35, 0.5, 0.5, 0.5, -1, -1);
  for (int t = 0; t < 10; ++t) {
    const double expected = t < 3 ? 1.0 : t < 7 ? 0.5 : 0.0;
    EXPECT_NEAR(ev.recall(t, 0, AreaRange::kAll, kM100), expected, kTol) << "t=" << t;
    EXPECT_NEAR(ev.precision(t, 50, 0, AreaRange::kAll, kM100), t < 7 ? 1.0 : 0.0, kTol) << "t=" << t;
    EXPECT_NEAR(ev.precision(t, 51, 0, AreaRange::kAll, kM100), t < 3 ? 1.0 : 0.0, kTol) << "t=" << t;
  }
}

TEST(CocoEval, FalsePositivesScoredAboveTruePositives) {
  // One gt; f1 (0.9) and f2 (0.8) hit nothing, the exact box comes third (0.7).
  // tp = [0,0,1], fp = [1,2,2]: rc = [0,0,1], pr = [0,0,1/3] -> envelope [1/3,1/3,1/3].
  // Every recall point finds precision 1/3 at every IoU: AP = 1/3. AR100 = 1; AR1 = 0
  // (only f1 counts with maxDets 1).
  Case c = one_image();
  c.gt(1, 1, {0, 0, 10, 10});
  c.dt(1, 1, {50, 50, 10, 10}, 0.9).dt(1, 1, {70, 70, 10, 10}, 0.8).dt(1, 1, {0, 0, 10, 10}, 0.7);
  const CocoEvaluation ev = c.run();
  expect_all(ev.summary(), 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, -1, -1, 0, 1, 1, 1, -1, -1);
}

TEST(CocoEval, PrecisionEnvelopeBetweenTruePositives) {
  // Two gts; scores: t1 (0.9) TP, f (0.8) FP, t2 (0.7) TP.
  // rc = [.5, .5, 1], pr = [1, .5, 2/3] -> envelope [1, 2/3, 2/3].
  // Recall points 0 ... 0.50 (51) -> 1; 0.51 ... 1 (50) -> 2/3 (index 2).
  // AP = (51 + 50 * 2/3) / 101 = 253/303 at every IoU threshold.
  Case c = one_image();
  c.gt(1, 1, {0, 0, 10, 10}).gt(1, 1, {20, 20, 10, 10});
  c.dt(1, 1, {0, 0, 10, 10}, 0.9).dt(1, 1, {60, 60, 10, 10}, 0.8).dt(1, 1, {20, 20, 10, 10}, 0.7);
  const CocoEvaluation ev = c.run();
  EXPECT_NEAR(ev.summary().ap, 253.0 / 303, kTol);
  EXPECT_NEAR(ev.precision(0, 51, 0, AreaRange::kAll, kM100), 2.0 / 3, kTol);
  const std::vector<double> curve = ev.precision_curve(0);
  EXPECT_NEAR(curve[50], 1.0, kTol);
  EXPECT_NEAR(curve[100], 2.0 / 3, kTol);
}

TEST(CocoEval, DuplicateDetections) {
  // Two gts A, B. A is found twice (0.9, 0.8), B once (0.7). The second box on A
  // finds A taken: FP. Same sequence as above: AP = 253/303, AR = 1.
  Case c = one_image();
  c.gt(1, 1, {0, 0, 10, 10}).gt(1, 1, {20, 20, 10, 10});
  c.dt(1, 1, {0, 0, 10, 10}, 0.9).dt(1, 1, {0, 0, 10, 10}, 0.8).dt(1, 1, {20, 20, 10, 10}, 0.7);
  const CocoEvaluation ev = c.run();
  EXPECT_NEAR(ev.summary().ap, 253.0 / 303, kTol);
  EXPECT_NEAR(ev.summary().ar100, 1.0, kTol);
  // A duplicate scored after full recall costs nothing: tp = [1,1], fp = [0,1],
  // rc = [1,1]: every recall point lands on index 0 (precision 1).
  Case d = one_image();
  d.gt(1, 1, {0, 0, 10, 10});
  d.dt(1, 1, {0, 0, 10, 10}, 0.9).dt(1, 1, {0, 0, 10, 10}, 0.8);
  EXPECT_NEAR(d.run().summary().ap, 1.0, kTol);
}

TEST(CocoEval, MaxDetsTruncation) {
  // Three gts in one image, each found exactly (0.9, 0.8, 0.7). With maxDets 1 only
  // the top detection of the image counts: AR1 = 1/3; AR10 = AR100 = 1.
  Case c = one_image();
  for (int i = 0; i < 3; ++i)
    c.gt(1, 1, {i * 20.0, 0, 10, 10}).dt(1, 1, {i * 20.0, 0, 10, 10}, 0.9 - 0.1 * i);
  const CocoSummary s = c.run().summary();
  EXPECT_NEAR(s.ar1, 1.0 / 3, kTol);
  EXPECT_NEAR(s.ar10, 1.0, kTol);
  EXPECT_NEAR(s.ap, 1.0, kTol);
  // maxDets applies per image: one object in each of two images, AR1 = 1.
  Case two;
  two.image(1).image(2).category(1);
  two.gt(1, 1, {0, 0, 10, 10}).gt(2, 1, {0, 0, 10, 10});
  two.dt(1, 1, {0, 0, 10, 10}, 0.5).dt(2, 1, {0, 0, 10, 10}, 0.4);
  EXPECT_NEAR(two.run().summary().ar1, 1.0, kTol);
}

TEST(CocoEval, HundredDetectionsPerImage) {
  // 101 gts, 101 exact detections with distinct scores: the lowest-scored one is
  // cut (maxDets 100). rc = k/101 for k = 1..100, pr = 1: recall points up to
  // 0.99 (<= 100/101 = 0.990...) give 1, r = 1.00 none -> AP = 100/101;
  // AR100 = 100/101; AR10 = 10/101.
  Case c = one_image();
  for (int i = 0; i < 101; ++i) {
    const CocoBox box{(i % 11) * 20.0, (i / 11) * 20.0, 10, 10};
    c.gt(1, 1, box).dt(1, 1, box, 1.0 - i * 0.001);
  }
  const CocoSummary s = c.run().summary();
  EXPECT_NEAR(s.ap, 100.0 / 101, kTol);
  EXPECT_NEAR(s.ar100, 100.0 / 101, kTol);
  EXPECT_NEAR(s.ar10, 10.0 / 101, kTol);
  EXPECT_NEAR(s.ar1, 1.0 / 101, kTol);
  EXPECT_EQ(c.run().per_category()[0].num_detections, 100);
}

TEST(CocoEval, CrowdRegionsAbsorbDetections) {
  // gt R = [0,0,10,10]; crowd C = [50,50,100,100]. d1 (0.9) and d2 (0.8) lie inside
  // C: crowd IoU = intersection / detection area = 1, and a crowd matches any
  // number of detections, so both are ignored, not FPs. d3 (0.7) finds R.
  // tp = [0,0,1], fp = [0,0,0]: pr = [0,0,1] -> envelope 1 everywhere: AP = 1.
  // (Were they FPs: AP = 1/3.) The crowd is not an object to find: AR = 1.
  Case c = one_image();
  c.gt(1, 1, {0, 0, 10, 10}).gt(1, 1, {50, 50, 100, 100}, -1, true);
  c.dt(1, 1, {60, 60, 10, 10}, 0.9).dt(1, 1, {80, 80, 20, 20}, 0.8).dt(1, 1, {0, 0, 10, 10}, 0.7);
  const CocoEvaluation ev = c.run();
  EXPECT_NEAR(ev.summary().ap, 1.0, kTol);
  EXPECT_NEAR(ev.summary().ar100, 1.0, kTol);
  EXPECT_EQ(ev.per_category()[0].num_gt, 1);
}

TEST(CocoEval, CrowdIouIsOverDetectionArea) {
  // p (0.9) = [46.3,50,10,10] overlaps crowd [50,50,100,100] by 6.3 x 10 = 63:
  // crowd IoU = 63 / 100 = 0.63 (plain IoU would be 63 / 10037 = 0.006).
  // t = 0.50, 0.55, 0.60: p is ignored -> then the exact box on R: AP_t = 1.
  // t = 0.65 ... 0.95 (7): p is a FP: tp = [0,1], fp = [1,1], rc = [0,1],
  //   pr = [0,.5] -> envelope .5 -> AP_t = 0.5.
  // AP = (3 + 7 * 0.5) / 10 = 0.65.
  Case c = one_image();
  c.gt(1, 1, {0, 0, 10, 10}).gt(1, 1, {50, 50, 100, 100}, -1, true);
  c.dt(1, 1, {46.3, 50, 10, 10}, 0.9).dt(1, 1, {0, 0, 10, 10}, 0.7);
  const CocoEvaluation ev = c.run();
  EXPECT_NEAR(ev.summary().ap, 0.65, kTol);
  EXPECT_NEAR(ev.summary().ap50, 1.0, kTol);
  EXPECT_NEAR(ev.summary().ap75, 0.5, kTol);
}

TEST(CocoEval, RealObjectsWinOverCrowds) {
  // gt S = [0,0,10,10] inside crowd C = [0,0,100,100]. d = [0,0,10,8.2]: IoU with
  // S 0.82, crowd IoU with C 82/82 = 1. Ignored gts are tried last and cannot take
  // a detection already matched to a real one: d is a TP for t <= 0.80 (7 of 10,
  // AP_t = 1) and only above that falls to C (ignored: tp = fp = 0, AP_t = 0).
  // AP = 0.7 (were C allowed to win on IoU: 0). Same with C first in the file.
  for (bool crowd_first : {false, true}) {
    Case c = one_image();
    if (crowd_first) c.gt(1, 1, {0, 0, 100, 100}, -1, true);
    c.gt(1, 1, {0, 0, 10, 10});
    if (!crowd_first) c.gt(1, 1, {0, 0, 100, 100}, -1, true);
    c.dt(1, 1, {0, 0, 10, 8.2}, 0.9);
    EXPECT_NEAR(c.run().summary().ap, 0.7, kTol) << "crowd_first=" << crowd_first;
  }
}

TEST(CocoEval, IouTieGoesToTheLaterGroundTruth) {
  // G1 = [0,0,10,10], G2 = [2,0,10,10]; d1 (0.9) = [1,0,10,10] overlaps each by
  // 90: IoU 90/110 = 0.818 with both, computed identically. pycocotools keeps the
  // later of equal candidates (`if iou < best: continue`), so d1 takes G2 and
  // d2 (0.8) = G1 exactly is a TP too.
  // t = 0.50 ... 0.80 (7): two TPs -> AP_t = 1.
  // t = 0.85 ... 0.95 (3): d1 FP, d2 TP: rc = [0,.5], envelope .5 -> 51 * .5 / 101.
  // AP = (7 + 3 * 25.5/101) / 10. (If G1 won the tie, d2 would fall to G2 with
  // IoU 80/120 = 0.67 and be a FP for t = 0.70 ... 0.80.)
  Case c = one_image();
  c.gt(1, 1, {0, 0, 10, 10}).gt(1, 1, {2, 0, 10, 10});
  c.dt(1, 1, {1, 0, 10, 10}, 0.9).dt(1, 1, {0, 0, 10, 10}, 0.8);
  EXPECT_NEAR(c.run().summary().ap, (7 + 3 * 25.5 / 101) / 10, kTol);
}

TEST(CocoEval, AreaRangesUseTheAreaField) {
  // gt S = 31x31 (961, small), gt M = 33x33 (1089, medium), gt X = 50x50 box whose
  // 'area' field says 500 (small: COCO ranks by the field, not the box).
  // u (0.95) = 40x40 (1600) hits nothing; s (0.9) = S exactly; m (0.8) = M exactly.
  Case c = one_image();
  c.gt(1, 1, {0, 0, 31, 31}).gt(1, 1, {100, 100, 33, 33}).gt(1, 1, {200, 200, 50, 50}, 500);
  c.dt(1, 1, {400, 400, 40, 40}, 0.95).dt(1, 1, {0, 0, 31, 31}, 0.9).dt(1, 1, {100, 100, 33, 33}, 0.8);
  const CocoSummary s = c.run().summary();
  // small: #gt 2 (S, X). u unmatched and 1600 > 32² -> ignored; s TP; m matches M,
  //   which is outside the range -> ignored. tp = [0,1,1], fp = 0: rc = [0,.5,.5],
  //   envelope 1; recall points 0 ... 0.5 -> 1 (51): APs = 51/101, ARs = 0.5.
  //   (With X's box area, 2500, X would be medium and APs = 1.)
  EXPECT_NEAR(s.ap_small, 51.0 / 101, kTol);
  EXPECT_NEAR(s.ar_small, 0.5, kTol);
  // medium: #gt 1 (M). u FP (1600 is medium); s matches S (outside range: ignored);
  //   m TP. tp = [0,0,1], fp = [1,1,1]: pr = [0,0,.5] -> APm = 0.5, ARm = 1.
  EXPECT_NEAR(s.ap_medium, 0.5, kTol);
  EXPECT_NEAR(s.ar_medium, 1.0, kTol);
  // all: #gt 3. [FP, TP, TP]: rc = [0,1/3,2/3], pr = [0,.5,2/3] -> envelope 2/3;
  //   recall points up to 0.66 (67) -> 2/3: AP = 67 * 2/3 / 101 = 134/303. AR = 2/3.
  EXPECT_NEAR(s.ap, 134.0 / 303, kTol);
  EXPECT_NEAR(s.ar100, 2.0 / 3, kTol);
  // large: no gt -> -1.
  EXPECT_EQ(s.ap_large, -1);
  EXPECT_EQ(s.ar_large, -1);
}

TEST(CocoEval, AreaBoundaryIsInBothRanges) {
  // Ranges are closed: a 32x32 object (1024 = 32²) is small and medium.
  Case c = one_image();
  c.gt(1, 1, {0, 0, 32, 32}).dt(1, 1, {0, 0, 32, 32}, 0.9);
  const CocoSummary s = c.run().summary();
  EXPECT_NEAR(s.ap_small, 1.0, kTol);
  EXPECT_NEAR(s.ap_medium, 1.0, kTol);
  EXPECT_EQ(s.ap_large, -1);
}

TEST(CocoEval, CategoriesWithoutGroundTruthAreExcluded) {
  // cat 1: one object found exactly (AP 1). cat 2: no gt, one FP. cat 3: nothing.
  // cats 2 and 3 have precision -1 and are left out of the means: AP = 1, not 1/3.
  Case c;
  c.image(1).category(1).category(2).category(3);
  c.gt(1, 1, {0, 0, 10, 10}).dt(1, 1, {0, 0, 10, 10}, 0.9).dt(1, 2, {50, 50, 10, 10}, 0.95);
  const CocoEvaluation ev = c.run();
  EXPECT_NEAR(ev.summary().ap, 1.0, kTol);
  ASSERT_EQ(ev.per_category().size(), 3u);
  EXPECT_EQ(ev.per_category()[1].ap, -1);
  EXPECT_EQ(ev.per_category()[1].num_detections, 1);
  EXPECT_EQ(ev.per_category()[2].ap, -1);
  EXPECT_EQ(ev.precision(0, 0, 1, AreaRange::kAll, kM100), -1);
  EXPECT_EQ(ev.recall(0, 2, AreaRange::kAll, kM100), -1);
}

TEST(CocoEval, ImagesWithoutDetections) {
  // Image 1: its object found; image 2: its object missed (no detections at all).
  // #gt 2, rc = [.5], pr = [1]: 51 recall points -> AP = 51/101, AR = 0.5.
  Case c;
  c.image(1).image(2).category(1);
  c.gt(1, 1, {0, 0, 10, 10}).gt(2, 1, {0, 0, 10, 10}).dt(1, 1, {0, 0, 10, 10}, 0.9);
  const CocoSummary s = c.run().summary();
  EXPECT_NEAR(s.ap, 51.0 / 101, kTol);
  EXPECT_NEAR(s.ar100, 0.5, kTol);
}

TEST(CocoEval, NoDetectionsIsZeroNotUndefined) {
  // Ground truth but no detections: recall 0 and precision 0 are defined.
  Case c = one_image();
  c.gt(1, 1, {0, 0, 10, 10});
  expect_all(c.run().summary(), 0, 0, 0, 0, -1, -1, 0, 0, 0, 0, -1, -1);
}

TEST(CocoEval, NoGroundTruthIsUndefinedEverywhere) {
  Case c = one_image();
  c.dt(1, 1, {0, 0, 10, 10}, 0.9);
  const CocoEvaluation ev = c.run();
  expect_all(ev.summary(), -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  for (double p : ev.precision_curve(-1))
    EXPECT_EQ(p, -1);
}

TEST(CocoEval, UnknownCategoriesAreSkippedAndCounted) {
  // As pycocotools' getAnnIds(catIds=...): results of other categories drop out,
  // so a high-scored category-99 box costs nothing.
  Case c = one_image();
  c.gt(1, 1, {0, 0, 10, 10}).dt(1, 99, {50, 50, 10, 10}, 0.99).dt(1, 1, {0, 0, 10, 10}, 0.5);
  const CocoEvaluation ev = c.run();
  EXPECT_NEAR(ev.summary().ap, 1.0, kTol);
  EXPECT_EQ(ev.num_detections_unknown_category(), 1);
}

TEST(CocoEval, IgnoreFieldHasNoEffect) {
  // pycocotools' _prepare() overwrites gt['ignore'] with iscrowd: an 'ignore: 1'
  // non-crowd object still counts. One such object, missed -> AP 0, not -1.
  Case c = one_image();
  c.gt(1, 1, {0, 0, 10, 10});
  c.ground_truth().annotations[0].ignore = true;
  EXPECT_EQ(c.run().summary().ap, 0);
}

TEST(CocoEval, ScoreTiesKeepFileOrderWithinAnImage) {
  // Equal scores sort stably (numpy mergesort): the file's first box goes first.
  // FP then TP: tp = [0,1], fp = [1,1] -> envelope .5 -> AP = 0.5. The reverse
  // file order gives TP then FP -> AP = 1.
  Case c = one_image();
  c.gt(1, 1, {0, 0, 10, 10}).dt(1, 1, {50, 50, 10, 10}, 0.5).dt(1, 1, {0, 0, 10, 10}, 0.5);
  EXPECT_NEAR(c.run().summary().ap, 0.5, kTol);
  std::swap(c.detections()[0], c.detections()[1]);
  EXPECT_NEAR(c.run().summary().ap, 1.0, kTol);
}

TEST(CocoEval, DetectionOnUnknownImageThrows) {
  Case c = one_image();
  c.gt(1, 1, {0, 0, 10, 10}).dt(7, 1, {0, 0, 10, 10}, 0.9);
  EXPECT_THROW(c.run(), Error);
}

// Random scenes: the result must not depend on the order detections arrive in
// (all scores distinct) nor on the order of images and categories in the file.
Case random_case(std::mt19937& rng, int images, int objects_per_image, int categories) {
  std::uniform_real_distribution<double> pos(0, 1000), size(4, 200), jitter(-6, 6), score(0, 1);
  std::uniform_int_distribution<int> cat(1, categories);
  Case c;
  for (int i = 1; i <= images; ++i)
    c.image(i * 3); // sparse ids
  for (int k = 1; k <= categories; ++k)
    c.category(k * 10);
  for (int i = 1; i <= images; ++i)
    for (int j = 0; j < objects_per_image; ++j) {
      const CocoBox g{pos(rng), pos(rng), size(rng), size(rng)};
      const int k = cat(rng) * 10;
      c.gt(i * 3, k, g, -1, j == 0 && i % 7 == 0);
      // Most objects found with some error, plus clutter.
      if (score(rng) < 0.8) c.dt(i * 3, k, {g.x + jitter(rng), g.y + jitter(rng), g.w, g.h}, score(rng));
      c.dt(i * 3, cat(rng) * 10, {pos(rng), pos(rng), size(rng), size(rng)}, score(rng));
    }
  return c;
}

TEST(CocoEval, IndependentOfInputOrder) {
  std::mt19937 rng(7);
  Case c = random_case(rng, 40, 12, 3);
  const CocoEvaluation a = c.run();
  std::shuffle(c.detections().begin(), c.detections().end(), rng);
  std::reverse(c.ground_truth().images.begin(), c.ground_truth().images.end());
  std::reverse(c.ground_truth().categories.begin(), c.ground_truth().categories.end());
  const CocoEvaluation b = c.run();
  EXPECT_GT(a.summary().ap, 0.05);
  EXPECT_LT(a.summary().ap, 0.95);
  for (int t = 0; t < 10; ++t)
    for (int k = 0; k < 3; ++k)
      for (int ar = 0; ar < 4; ++ar)
        for (int m = 0; m < 3; ++m) {
          const auto area = static_cast<AreaRange>(ar);
          ASSERT_EQ(a.recall(t, k, area, m), b.recall(t, k, area, m))
              << t << " " << k << " " << ar << " " << m;
          for (int r = 0; r < 101; ++r)
            ASSERT_EQ(a.precision(t, r, k, area, m), b.precision(t, r, k, area, m))
                << "t=" << t << " r=" << r << " k=" << k << " a=" << ar << " m=" << m;
        }
}

TEST(CocoEval, TenThousandObjectsAreFast) {
  // 2000 images x 5 objects = 10k gt, ~100k detections (the size the brief names).
  // Release build on the 2-core dev box: ~0.1 s. The bound is 40x that, to catch
  // quadratic behaviour without failing on a busy machine.
  std::mt19937 rng(1);
  Case c = random_case(rng, 2000, 5, 20);
  std::uniform_real_distribution<double> pos(0, 1000), size(4, 200), score(0, 1);
  std::uniform_int_distribution<int> img(1, 2000), cat(1, 20);
  while (c.detections().size() < 100000)
    c.dt(img(rng) * 3, cat(rng) * 10, {pos(rng), pos(rng), size(rng), size(rng)}, score(rng));
  const auto t0 = std::chrono::steady_clock::now();
  const CocoEvaluation ev = c.run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("10k gt / 100k dt: %.3f s, AP %.3f\n", seconds, ev.summary().ap);
  EXPECT_GT(ev.summary().ap, 0.0);
#ifdef NDEBUG
  EXPECT_LT(seconds, 4.0);
#endif
}

} // namespace
} // namespace tilescope::eval
