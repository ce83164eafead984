// NMS on hand-made cases whose answers follow from the rules in nms.h. The
// comparison with a Python implementation on thousands of candidates is in
// ref_postprocess_test.cpp.
#include "tilescope/core/error.h"
#include "tilescope/detect/nms.h"

#include <chrono>
#include <gtest/gtest.h>
#include <random>

namespace tilescope::detect {

void PrintTo(const Detection& d, std::ostream* os) {
  *os << "{[" << d.box.x1 << "," << d.box.y1 << "," << d.box.x2 << "," << d.box.y2 << "] score " << d.score
      << " class " << d.class_id << "}";
}

namespace {

Detection det(float x1, float y1, float x2, float y2, float score, int cls = 0) {
  return {{x1, y1, x2, y2}, score, cls};
}

std::vector<float> scores_of(const std::vector<Detection>& d) {
  std::vector<float> s;
  for (const Detection& x : d)
    s.push_back(x.score);
  return s;
}

TEST(Iou, HandValues) {
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 5}), 0.5);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {5, 0, 15, 10}), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {10, 0, 20, 10}), 0.0); // touching edges
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(iou({1, 1, 1, 1}, {1, 1, 1, 1}), 0.0); // empty boxes
}

// IoU exactly 0.5: suppressed at threshold 0.45, kept at 0.5 (the rule is IoU > threshold).
TEST(Nms, ThresholdIsStrict) {
  const std::vector<Detection> c = {det(0, 0, 10, 10, 0.9f), det(0, 0, 10, 5, 0.8f)};
  NmsOptions o;
  o.iou_threshold = 0.45f;
  EXPECT_EQ(non_max_suppression(c, o).size(), 1u);
  o.iou_threshold = 0.5f;
  EXPECT_EQ(non_max_suppression(c, o).size(), 2u);
}

TEST(Nms, ConfidenceIsStrict) {
  const std::vector<Detection> c = {det(0, 0, 10, 10, 0.25f), det(20, 20, 30, 30, 0.2500001f)};
  const std::vector<Detection> kept = non_max_suppression(c, {});
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].score, 0.2500001f);
}

TEST(Nms, PerClassUnlessAgnostic) {
  const std::vector<Detection> c = {det(0, 0, 10, 10, 0.9f, 0), det(0, 0, 10, 10, 0.8f, 1),
                                    det(1, 0, 10, 10, 0.7f, 0)};
  const std::vector<Detection> per_class = non_max_suppression(c, {});
  EXPECT_EQ(scores_of(per_class), (std::vector<float>{0.9f, 0.8f}));
  NmsOptions agnostic;
  agnostic.agnostic = true;
  EXPECT_EQ(scores_of(non_max_suppression(c, agnostic)), (std::vector<float>{0.9f}));
}

// A suppresses B; B would suppress C, but a suppressed box suppresses nothing.
TEST(Nms, SuppressedBoxesDoNotSuppress) {
  const std::vector<Detection> c = {det(0, 0, 10, 10, 0.9f), det(4, 0, 14, 10, 0.8f),
                                    det(8, 0, 18, 10, 0.7f)};
  // IoU(A,B) = 60/140 = 0.43, IoU(B,C) = 0.43, IoU(A,C) = 20/180 = 0.11.
  NmsOptions o;
  o.iou_threshold = 0.4f;
  EXPECT_EQ(scores_of(non_max_suppression(c, o)), (std::vector<float>{0.9f, 0.7f}));
}

TEST(Nms, OutputIsByScoreWithTiesInCandidateOrder) {
  const std::vector<Detection> c = {det(0, 0, 1, 1, 0.5f, 3), det(10, 0, 11, 1, 0.7f, 1),
                                    det(20, 0, 21, 1, 0.5f, 2), det(30, 0, 31, 1, 0.9f, 0),
                                    det(40, 0, 41, 1, 0.5f, 1)};
  const std::vector<Detection> kept = non_max_suppression(c, {});
  ASSERT_EQ(kept.size(), 5u);
  EXPECT_EQ(kept[0], c[3]);
  EXPECT_EQ(kept[1], c[1]);
  EXPECT_EQ(kept[2], c[0]); // the three 0.5s in input order
  EXPECT_EQ(kept[3], c[2]);
  EXPECT_EQ(kept[4], c[4]);
}

TEST(Nms, DuplicateWithEqualScoreKeepsTheFirst) {
  const std::vector<Detection> c = {det(0, 0, 10, 10, 0.5f, 0), det(0, 0, 10, 10, 0.5f, 0)};
  NmsOptions o;
  const std::vector<Detection> kept = non_max_suppression(c, o);
  ASSERT_EQ(kept.size(), 1u);
}

TEST(Nms, MaxDetectionsKeepsTheBest) {
  std::vector<Detection> c;
  for (int i = 0; i < 10; ++i)
    c.push_back(det(20.0f * i, 0, 20.0f * i + 10, 10, 0.3f + 0.05f * i));
  NmsOptions o;
  o.max_detections = 3;
  const std::vector<Detection> kept = non_max_suppression(c, o);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0], c[9]);
  EXPECT_EQ(kept[2], c[7]);
  o.max_detections = 0;
  EXPECT_TRUE(non_max_suppression(c, o).empty());
}

// Only the top max_candidates enter NMS: with 2 the third-best box is never seen.
TEST(Nms, MaxCandidatesCutsBeforeNms) {
  const std::vector<Detection> c = {det(0, 0, 10, 10, 0.9f), det(0, 0, 10, 10, 0.8f),
                                    det(50, 50, 60, 60, 0.7f)};
  NmsOptions o;
  o.max_candidates = 2;
  EXPECT_EQ(scores_of(non_max_suppression(c, o)), (std::vector<float>{0.9f}));
}

TEST(Nms, ClassFilter) {
  const std::vector<Detection> c = {det(0, 0, 10, 10, 0.9f, 0), det(0, 0, 10, 10, 0.8f, 2),
                                    det(30, 0, 40, 10, 0.7f, 5)};
  NmsOptions o;
  o.classes = {2, 5, 100};
  EXPECT_EQ(scores_of(non_max_suppression(c, o)), (std::vector<float>{0.8f, 0.7f}));
}

TEST(Nms, ReusedObjectStartsClean) {
  Nms nms;
  std::vector<Detection> kept;
  const std::vector<Detection> a = {det(0, 0, 10, 10, 0.9f, 4)};
  nms.run(a, {}, kept);
  ASSERT_EQ(kept.size(), 1u);
  // A box at the same place and class in the next call must not be suppressed by the previous call's.
  const std::vector<Detection> b = {det(0, 0, 10, 10, 0.5f, 4)};
  nms.run(b, {}, kept);
  EXPECT_EQ(kept.size(), 1u);
  nms.run({}, {}, kept);
  EXPECT_TRUE(kept.empty());
}

TEST(Nms, NaNScoresAreDropped) {
  const std::vector<Detection> c = {det(0, 0, 10, 10, std::nanf("")), det(0, 0, 10, 10, 0.6f)};
  EXPECT_EQ(scores_of(non_max_suppression(c, {})), (std::vector<float>{0.6f}));
}

TEST(Nms, OptionsAreChecked) {
  NmsOptions o;
  EXPECT_NO_THROW(check_nms_options(o));
  o.iou_threshold = 1.5f;
  EXPECT_THROW(check_nms_options(o), Error);
  o = {};
  o.conf_threshold = -0.1f;
  EXPECT_THROW(check_nms_options(o), Error);
  o = {};
  o.max_detections = -1;
  EXPECT_THROW(check_nms_options(o), Error);
  o = {};
  o.classes = {-2};
  EXPECT_THROW(check_nms_options(o), Error);
}

// 30000 candidates (Ultralytics' max_nms) in 80 classes, clustered so that many
// overlap. Prints the time; the bound only catches an accidental O(n^2) (which
// takes seconds here), not a regression of a few percent.
TEST(Nms, ThirtyThousandCandidatesAreFast) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> pos(0, 600), size(5, 60), score(0.26f, 1.0f);
  std::uniform_int_distribution<int> cls(0, 79);
  std::vector<Detection> c;
  for (int i = 0; i < 30000; ++i) {
    const float x = pos(rng), y = pos(rng), w = size(rng), h = size(rng);
    c.push_back(det(x, y, x + w, y + h, score(rng), cls(rng)));
  }
  Nms nms;
  std::vector<Detection> kept;
  NmsOptions o;
  o.max_detections = 30000;
  nms.run(c, o, kept); // warm the scratch buffers
  const auto t0 = std::chrono::steady_clock::now();
  nms.run(c, o, kept);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("NMS: 30000 candidates -> %zu kept in %.2f ms\n", kept.size(), ms);
  EXPECT_LT(ms, 1000.0);
  EXPECT_GT(kept.size(), 1000u);
}

} // namespace
} // namespace tilescope::detect
