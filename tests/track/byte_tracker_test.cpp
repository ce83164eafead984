// ByteTrack behaviour on synthetic scenes: objects moving at constant velocity, given
// as perfect boxes, with occlusions, low scores, false positives and class changes.
#include "tilescope/track/byte_tracker.h"

#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <set>

namespace tilescope::track {
namespace {

detect::Detection det(double cx, double cy, double w, double h, float score = 0.9f, int class_id = 0) {
  return {{static_cast<float>(cx - w / 2), static_cast<float>(cy - h / 2), static_cast<float>(cx + w / 2),
           static_cast<float>(cy + h / 2)},
          score,
          class_id};
}

// An object moving in a straight line: centre at frame f (1-based) = start + f * velocity.
struct Mover {
  double x0, y0, vx, vy, w = 40, h = 80;
  detect::Detection at(int frame, float score = 0.9f, int class_id = 0) const {
    return det(x0 + vx * frame, y0 + vy * frame, w, h, score, class_id);
  }
};

// The output track whose box overlaps `truth` best (IoU > 0.5), or nullptr.
const Track* find(const std::vector<Track>& tracks, const detect::Detection& truth) {
  const Track* best = nullptr;
  double best_iou = 0.5;
  for (const Track& t : tracks) {
    const double v = detect::iou(t.detection.box, truth.box);
    if (v > best_iou) {
      best_iou = v;
      best = &t;
    }
  }
  return best;
}

// Runs movers over frames; returns, per mover, the ids it was given (one entry per frame
// where it was visible and reported). `visible(m, f)` says whether mover m is detected.
template <class Visible>
std::vector<std::vector<int>> run(ByteTracker& tracker, const std::vector<Mover>& movers, int frames,
                                  Visible visible) {
  std::vector<std::vector<int>> ids(movers.size());
  for (int f = 1; f <= frames; ++f) {
    std::vector<detect::Detection> dets;
    for (size_t m = 0; m < movers.size(); ++m)
      if (visible(m, f)) dets.push_back(movers[m].at(f));
    const std::vector<Track> out = tracker.update(dets);
    for (size_t m = 0; m < movers.size(); ++m) {
      if (!visible(m, f)) continue;
      const Track* t = find(out, movers[m].at(f));
      ids[m].push_back(t ? t->id : -1);
    }
  }
  return ids;
}

TEST(ByteTracker, StraightLinesKeepIds) {
  ByteTracker tracker;
  const std::vector<Mover> movers = {{100, 100, 3, 0}, {400, 300, -2, 1}};
  const auto ids = run(tracker, movers, 50, [](size_t, int) { return true; });
  for (size_t m = 0; m < movers.size(); ++m) {
    ASSERT_EQ(ids[m].size(), 50u);
    for (int f = 0; f < 50; ++f)
      EXPECT_EQ(ids[m][f], static_cast<int>(m) + 1) << "mover " << m << " frame " << f + 1;
  }
}

TEST(ByteTracker, CrossingObjectsKeepIds) {
  // A moves right at 5 px/frame, B left at 3 px/frame, 10 px apart vertically; their
  // centres coincide in x at frame 50 and the boxes overlap heavily for ~10 frames.
  ByteTracker tracker;
  const std::vector<Mover> movers = {{0, 200, 5, 0}, {400, 210, -3, 0}};
  const auto ids = run(tracker, movers, 100, [](size_t, int) { return true; });
  for (size_t m = 0; m < movers.size(); ++m)
    for (int f = 0; f < 100; ++f)
      EXPECT_EQ(ids[m][f], static_cast<int>(m) + 1) << "mover " << m << " frame " << f + 1;
}

TEST(ByteTracker, ShortOcclusionKeepsId) {
  // Seen on frames 1-20, hidden on 21-30 (10 frames), seen again from 31: the lost track
  // coasts at its estimated velocity and is re-found with its old id.
  ByteTracker tracker;
  const std::vector<Mover> movers = {{100, 100, 2, 1}};
  const auto ids = run(tracker, movers, 50, [](size_t, int f) { return f <= 20 || f > 30; });
  ASSERT_EQ(ids[0].size(), 40u);
  for (size_t i = 0; i < ids[0].size(); ++i)
    EXPECT_EQ(ids[0][i], 1) << "visible frame #" << i;
  ASSERT_EQ(tracker.tracks().size(), 1u);
  EXPECT_EQ(tracker.tracks()[0].hits, 40);
}

// A still object seen on frames 1..10, hidden for `gap` frames, then seen again.
// Returns the id it gets two frames after it reappears.
int id_after_gap(int gap, TrackerOptions options = {}) {
  ByteTracker tracker(options);
  const Mover still{300, 300, 0, 0};
  const auto ids =
      run(tracker, {still}, 10 + gap + 2, [gap](size_t, int f) { return f <= 10 || f > 10 + gap; });
  return ids[0].back();
}

TEST(ByteTracker, LostTrackKeptForExactlyTheBuffer) {
  // Lost on frame 11; removed once frame - last_seen > 30, i.e. while unseen on frame 41.
  // Reappearing on frame 41 (gap 30) still matches; reappearing on 42 (gap 31) is a new
  // object, confirmed one frame later with the next id.
  EXPECT_EQ(id_after_gap(10), 1);
  EXPECT_EQ(id_after_gap(30), 1);
  EXPECT_EQ(id_after_gap(31), 2);
  EXPECT_EQ(id_after_gap(60), 2);
}

TEST(ByteTracker, BufferScalesWithFrameRate) {
  TrackerOptions options;
  options.frame_rate = 15; // buffer 30 at 30 fps = 15 frames at 15 fps
  EXPECT_EQ(ByteTracker(options).max_time_lost(), 15);
  EXPECT_EQ(id_after_gap(15, options), 1);
  EXPECT_EQ(id_after_gap(16, options), 2);
}

TEST(ByteTracker, LowScoreContinuesTrackButNeverStartsOne) {
  ByteTracker tracker;
  const Mover a{100, 100, 3, 0};
  const Mover b{500, 400, 0, 0}; // only ever detected at low score
  for (int f = 1; f <= 20; ++f) {
    const float score_a = f <= 5 ? 0.9f : 0.3f; // A drops to 0.3 from frame 6 on
    const std::vector<Track> out = tracker.update({a.at(f, score_a), b.at(f, 0.3f)});
    const Track* ta = find(out, a.at(f));
    ASSERT_NE(ta, nullptr) << "frame " << f << ": A's track not continued";
    EXPECT_EQ(ta->id, 1) << "frame " << f;
    EXPECT_FLOAT_EQ(ta->score, score_a);
    EXPECT_EQ(find(out, b.at(f)), nullptr) << "frame " << f << ": low score started a track";
  }
  EXPECT_EQ(tracker.tracks().size(), 1u);
}

// A track at 0.9 on frames 1-5, not looked at on frames 6-7, then seen only at 0.3
// (an object partly hidden in a crowd: a low-score detection).
std::vector<Track> skipped_then_low(ByteTracker& tracker,
                                    const std::function<bool(const detect::BoxXYXY&)>& looked_at) {
  const Mover a{100, 100, 3, 0};
  std::vector<Track> out;
  for (int f = 1; f <= 5; ++f)
    tracker.update({a.at(f)});
  for (int f = 6; f <= 7; ++f)
    tracker.update({}, looked_at);
  for (int f = 8; f <= 10; ++f)
    out = tracker.update({a.at(f, 0.3f)});
  return out;
}

TEST(ByteTracker, TrackNotLookedAtCoastsAndLowScoreContinuesIt) {
  // Not looked at: the track stays tracked through frames 6-7, so the low-score
  // second association continues it with its id.
  ByteTracker coasting;
  const std::vector<Track> out = skipped_then_low(coasting, [](const detect::BoxXYXY&) { return false; });
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, 1);
  EXPECT_EQ(out[0].hits, 8);
  // Looked at and not found: lost, and a lost track is not continued at a low score (the
  // reference's second association takes tracked tracks only).
  ByteTracker lost;
  EXPECT_TRUE(skipped_then_low(lost, [](const detect::BoxXYXY&) { return true; }).empty());
  ByteTracker everywhere; // no predicate: looked at everywhere
  EXPECT_TRUE(skipped_then_low(everywhere, {}).empty());
}

TEST(ByteTracker, CoastingEndsAfterTheBuffer) {
  // Never looked at again: the track coasts for max_time_lost frames, then is dropped
  // when a lost track would be (coasting does not make it live longer).
  TrackerOptions options;
  options.frame_rate = 5; // buffer 5 frames
  ByteTracker tracker(options);
  const Mover a{100, 100, 0, 0};
  for (int f = 1; f <= 3; ++f)
    tracker.update({a.at(f)});
  const auto nowhere = [](const detect::BoxXYXY&) { return false; };
  for (int f = 4; f <= 8; ++f) {
    tracker.update({}, nowhere);
    ASSERT_EQ(tracker.tracks().size(), 1u) << "frame " << f;
    EXPECT_EQ(tracker.tracks()[0].state, TrackState::kTracked) << "frame " << f;
  }
  tracker.update({}, nowhere); // frame 9: 6 frames since the last match
  EXPECT_TRUE(tracker.tracks().empty());
}

TEST(ByteTracker, HighScoreBelowNewTrackThresholdStartsNothing) {
  // 0.55 is "high" (>= 0.5) but below det_thresh = 0.6: it can feed a track, not start one.
  ByteTracker tracker;
  for (int f = 1; f <= 5; ++f)
    EXPECT_TRUE(tracker.update({det(100, 100, 40, 80, 0.55f)}).empty());
  EXPECT_TRUE(tracker.tracks().empty());
}

TEST(ByteTracker, SingleFrameFalsePositiveNeverConfirmed) {
  ByteTracker tracker;
  const Mover a{100, 100, 2, 0};
  std::set<int> seen_ids;
  for (int f = 1; f <= 10; ++f) {
    std::vector<detect::Detection> dets = {a.at(f)};
    if (f == 3 || f == 7)
      dets.push_back(det(600, 400, 30, 30, 0.95f)); // flashes alone, in two unrelated frames
    for (const Track& t : tracker.update(dets))
      seen_ids.insert(t.id);
  }
  EXPECT_EQ(seen_ids, std::set<int>({1}));
  EXPECT_EQ(tracker.tracks().size(), 1u);
}

TEST(ByteTracker, FirstFrameDetectionsConfirmedAtOnce) {
  // The reference's rule: on frame 1 every confident detection is a confirmed track,
  // even one that never shows again.
  ByteTracker tracker;
  const std::vector<Track> out = tracker.update({det(100, 100, 40, 80), det(600, 400, 30, 30, 0.95f)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, 1);
  EXPECT_EQ(out[1].id, 2);
  EXPECT_TRUE(out[1].confirmed);
  // From frame 2 a new object needs a second sighting; ids stay gap-free.
  EXPECT_EQ(tracker.update({det(100, 100, 40, 80), det(300, 300, 50, 50)}).size(), 1u);
  const std::vector<Track> third = tracker.update({det(100, 100, 40, 80), det(300, 300, 50, 50)});
  ASSERT_EQ(third.size(), 2u);
  const Track* late = find(third, det(300, 300, 50, 50));
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(late->id, 3);
  EXPECT_EQ(late->hits, 2);
  EXPECT_EQ(late->age, 1);
}

// Object of class 0 for 5 frames; from frame 6 the detector reports the same box as class 1.
std::vector<std::vector<int>> class_switch(bool per_class) {
  TrackerOptions options;
  options.per_class = per_class;
  ByteTracker tracker(options);
  std::vector<std::vector<int>> ids;
  for (int f = 1; f <= 8; ++f) {
    std::vector<int> frame_ids;
    for (const Track& t : tracker.update({det(200, 200, 40, 80, 0.9f, f <= 5 ? 0 : 1)}))
      frame_ids.push_back(t.id);
    ids.push_back(frame_ids);
  }
  return ids;
}

TEST(ByteTracker, OtherClassDoesNotStealTrack) {
  const auto ids = class_switch(true);
  // Frame 6: track 1 finds no class-0 box (lost); the class-1 box is a new candidate;
  // frame 7 confirms it as id 2.
  EXPECT_EQ(ids[4], std::vector<int>({1}));
  EXPECT_TRUE(ids[5].empty());
  EXPECT_EQ(ids[6], std::vector<int>({2}));
  EXPECT_EQ(ids[7], std::vector<int>({2}));
}

TEST(ByteTracker, ClassAgnosticModeLetsClassChange) {
  // Control for the test above: without per-class matching the same box keeps id 1.
  const auto ids = class_switch(false);
  for (int f = 0; f < 8; ++f)
    EXPECT_EQ(ids[f], std::vector<int>({1})) << "frame " << f + 1;
}

TEST(ByteTracker, PredictedBoxesLeadTheMotion) {
  ByteTracker tracker;
  const Mover a{100, 100, 4, -1};
  for (int f = 1; f <= 30; ++f)
    tracker.update({a.at(f)});
  const std::vector<PredictedBox> predicted = tracker.predicted_boxes();
  ASSERT_EQ(predicted.size(), 1u);
  EXPECT_EQ(predicted[0].id, 1);
  EXPECT_FALSE(predicted[0].lost);
  // After 30 frames the velocity has converged (see KalmanFilter.ConvergesToConstantVelocity),
  // so the prediction lands within 1 px of frame 31's box on each side.
  const detect::BoxXYXY truth = a.at(31).box;
  EXPECT_NEAR(predicted[0].box.x1, truth.x1, 1.0);
  EXPECT_NEAR(predicted[0].box.y1, truth.y1, 1.0);
  EXPECT_NEAR(predicted[0].box.x2, truth.x2, 1.0);
  EXPECT_NEAR(predicted[0].box.y2, truth.y2, 1.0);
  // Unseen for 3 frames it coasts on: reported lost, still ahead on its path.
  for (int f = 31; f <= 33; ++f)
    EXPECT_TRUE(tracker.update({}).empty());
  const std::vector<PredictedBox> coasting = tracker.predicted_boxes();
  ASSERT_EQ(coasting.size(), 1u);
  EXPECT_TRUE(coasting[0].lost);
  EXPECT_NEAR(coasting[0].box.x1, a.at(34).box.x1, 1.5);
  ASSERT_EQ(tracker.tracks().size(), 1u);
  EXPECT_EQ(tracker.tracks()[0].state, TrackState::kLost);
  EXPECT_EQ(tracker.tracks()[0].frames_since_update, 3);
}

TEST(ByteTracker, IgnoresDegenerateBoxes) {
  ByteTracker tracker;
  EXPECT_TRUE(tracker.update({det(100, 100, 0, 80), det(100, 100, 40, -5)}).size() == 0);
  EXPECT_TRUE(tracker.tracks().empty());
}

TEST(ByteTracker, ManyObjectsGetDistinctGapFreeIds) {
  ByteTracker tracker;
  std::vector<Mover> movers;
  for (int i = 0; i < 12; ++i)
    movers.push_back({60.0 + 100 * (i % 4), 60.0 + 150 * (i / 4), (i % 3) - 1.0, (i % 2) ? 1.0 : -1.0});
  const auto ids = run(tracker, movers, 40, [](size_t, int) { return true; });
  std::set<int> all;
  for (size_t m = 0; m < movers.size(); ++m) {
    std::set<int> mine(ids[m].begin(), ids[m].end());
    EXPECT_EQ(mine.size(), 1u) << "mover " << m << " changed id";
    all.insert(mine.begin(), mine.end());
  }
  EXPECT_EQ(all.size(), movers.size());
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), static_cast<int>(movers.size()));
}

} // namespace
} // namespace tilescope::track
