// Round-robin sweeps (sweep_schedule.h): every view of the full plan runs within any
// `every` consecutive frames, views gating runs are not swept on top, sweeps after a
// whole-plan frame are spread out, and a new full plan restarts the schedule.
#include "sweep_schedule.h"
#include "tilescope/core/error.h"

#include <gtest/gtest.h>
#include <random>

namespace tilescope::pipeline {
namespace {

using tiling::SlicePlan;
using tiling::TileRect;

SlicePlan full_plan() {
  SlicePlan p;
  p.tiles = {{0, 0, 416, 416}, {352, 0, 768, 416}, {0, 160, 416, 576}, {352, 160, 768, 576}};
  p.full_frame = true;
  return p;
}

SlicePlan gated(const SlicePlan& full, std::vector<int> tiles, bool full_frame) {
  SlicePlan p;
  for (const int t : tiles)
    p.tiles.push_back(full.tiles[static_cast<std::size_t>(t)]);
  p.full_frame = full_frame;
  return p;
}

int index_of(const SlicePlan& full, const TileRect& t) {
  return static_cast<int>(std::find(full.tiles.begin(), full.tiles.end(), t) - full.tiles.begin());
}

TEST(SweepSchedule, RejectsEveryBelowOne) { EXPECT_THROW(SweepSchedule(0), Error); }

TEST(SweepSchedule, FirstFrameRunsTheWholePlan) {
  SweepSchedule s(10);
  const SlicePlan full = full_plan();
  const SweepStep step = s.step(full, gated(full, {}, false), false);
  EXPECT_TRUE(step.whole);
  EXPECT_EQ(step.plan.tiles, full.tiles);
  EXPECT_TRUE(step.plan.full_frame);
}

// With nothing gated, each view runs exactly once per `every` frames and never more
// than one tile at a time after the first frame (4 tiles, every 8: one tile every 2 frames).
TEST(SweepSchedule, EveryViewWithinEveryFramesAndSpread) {
  const SlicePlan full = full_plan();
  for (const int every : {1, 2, 4, 8, 15}) {
    SweepSchedule s(every);
    std::vector<int> last(5, 0);
    s.step(full, gated(full, {}, false), true);
    for (int frame = 1; frame < 100; ++frame) {
      const SweepStep step = s.step(full, gated(full, {}, false), false);
      EXPECT_FALSE(step.whole);
      EXPECT_EQ(step.swept, static_cast<int>(step.plan.tiles.size()) + (step.plan.full_frame ? 1 : 0));
      if (every >= 4) {
        EXPECT_LE(step.plan.tiles.size(), 1u) << "every " << every << " frame " << frame;
      }
      for (const TileRect& t : step.plan.tiles)
        last[static_cast<std::size_t>(index_of(full, t))] = frame;
      if (step.plan.full_frame) last[4] = frame;
      for (int v = 0; v < 5; ++v)
        EXPECT_LT(frame - last[static_cast<std::size_t>(v)], every) << "view " << v << " frame " << frame;
    }
  }
}

// Random gating: the coverage guarantee holds, gated views always run, and a view that
// ran (for gating or a sweep) within the last `every` frames is never swept.
TEST(SweepSchedule, GatedViewsCountAsVisits) {
  const SlicePlan full = full_plan();
  std::mt19937 rng(3);
  const int every = 6;
  SweepSchedule s(every);
  std::vector<int> last(5, 0);
  s.step(full, gated(full, {}, false), true);
  int swept = 0;
  for (int frame = 1; frame < 300; ++frame) {
    std::vector<int> tiles;
    for (int t = 0; t < 4; ++t)
      if (rng() % 3 == 0) tiles.push_back(t);
    const bool full_frame = rng() % 2 == 0;
    const SlicePlan g = gated(full, tiles, full_frame);
    const std::vector<int> before = last;
    const SweepStep step = s.step(full, g, false);
    for (const TileRect& t : g.tiles)
      EXPECT_NE(std::find(step.plan.tiles.begin(), step.plan.tiles.end(), t), step.plan.tiles.end());
    if (full_frame) {
      EXPECT_TRUE(step.plan.full_frame);
    }
    for (const TileRect& t : step.plan.tiles) {
      const int v = index_of(full, t);
      const bool was_gated = std::find(tiles.begin(), tiles.end(), v) != tiles.end();
      // (After the whole-plan frame 0 the first sweeps are spread, so sooner.)
      if (!was_gated && before[static_cast<std::size_t>(v)] > 0) {
        EXPECT_GE(frame - before[static_cast<std::size_t>(v)], every) << "swept too early";
      }
      last[static_cast<std::size_t>(v)] = frame;
    }
    if (step.plan.full_frame) last[4] = frame;
    for (int v = 0; v < 5; ++v)
      EXPECT_LT(frame - last[static_cast<std::size_t>(v)], every);
    // Kept tiles in the full plan's order.
    for (std::size_t i = 1; i < step.plan.tiles.size(); ++i)
      EXPECT_LT(index_of(full, step.plan.tiles[i - 1]), index_of(full, step.plan.tiles[i]));
    swept += step.swept;
  }
  EXPECT_LT(swept, 300 * 5 / every) << "gated visits save sweeps";
}

TEST(SweepSchedule, NewFullPlanRestarts) {
  SweepSchedule s(10);
  SlicePlan full = full_plan();
  s.step(full, gated(full, {}, false), true);
  EXPECT_FALSE(s.step(full, gated(full, {0}, true), false).whole);
  full.tiles.pop_back();
  const SweepStep step = s.step(full, gated(full, {0}, true), false);
  EXPECT_TRUE(step.whole);
  EXPECT_EQ(step.plan.tiles, full.tiles);
}

TEST(SweepSchedule, GatedTileOutsideThePlanIsAnError) {
  SweepSchedule s(10);
  const SlicePlan full = full_plan();
  s.step(full, gated(full, {}, false), true);
  SlicePlan bad;
  bad.tiles = {{1, 1, 50, 50}};
  EXPECT_THROW(s.step(full, bad, false), Error);
}

} // namespace
} // namespace tilescope::pipeline
