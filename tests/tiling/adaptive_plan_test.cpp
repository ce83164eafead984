// The adaptive planner: hand-computed plans and properties over many frame sizes,
// model inputs, object sizes and budgets (the rule is in plan.h).
#include "tilescope/core/error.h"
#include "tilescope/tiling/plan.h"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <set>

namespace tilescope::tiling {
namespace {

SliceOptions adaptive(int min_object_px = 0, double budget_ms = 0) {
  SliceOptions o;
  o.mode = SliceMode::kAdaptive;
  o.min_object_px = min_object_px;
  o.budget_ms = budget_ms;
  return o;
}

std::vector<int> unique_starts(const std::vector<TileRect>& tiles, bool x) {
  std::set<int> s;
  for (const TileRect& t : tiles)
    s.insert(x ? t.x1 : t.y1);
  return {s.begin(), s.end()};
}

std::string describe(cv::Size frame, cv::Size input, int m, double budget = 0) {
  return "frame " + std::to_string(frame.width) + "x" + std::to_string(frame.height) + " input " +
         std::to_string(input.width) + "x" + std::to_string(input.height) + " min_object " +
         std::to_string(m) + " budget " + std::to_string(budget);
}

// Checks what every tiled plan promises: a grid of equal tiles inside the frame,
// row by row, covering it, evenly spread, neighbours overlapping by >= the promised
// overlap.
void check_grid(const SlicePlan& p, cv::Size frame) {
  ASSERT_GE(p.tiles.size(), 2u);
  const std::vector<int> xs = unique_starts(p.tiles, true), ys = unique_starts(p.tiles, false);
  ASSERT_EQ(p.tiles.size(), xs.size() * ys.size());
  const int tw = p.tiles[0].width(), th = p.tiles[0].height();
  for (std::size_t i = 0; i < p.tiles.size(); ++i) {
    const TileRect& t = p.tiles[i];
    ASSERT_EQ(t.width(), tw);
    ASSERT_EQ(t.height(), th);
    // Row by row, like SAHI.
    ASSERT_EQ(t.x1, xs[i % xs.size()]);
    ASSERT_EQ(t.y1, ys[i / xs.size()]);
  }
  // Coverage: first tile at 0, last ends at the edge, no gaps (overlap >= 0 checked below).
  for (auto [starts, tile, length, overlap] : {std::tuple{xs, tw, frame.width, p.min_overlap_px.width},
                                               std::tuple{ys, th, frame.height, p.min_overlap_px.height}}) {
    ASSERT_EQ(starts.front(), 0);
    ASSERT_EQ(starts.back() + tile, length);
    for (std::size_t i = 1; i < starts.size(); ++i) {
      const int step = starts[i] - starts[i - 1];
      ASSERT_GT(step, 0);
      ASSERT_GE(tile - step, overlap) << "overlap between tiles " << i - 1 << " and " << i;
      // Even spread: steps differ by at most one pixel (rounding), so no sliver tile.
      ASSERT_LE(std::abs(step - (starts[1] - starts[0])), 1);
    }
  }
}

TEST(AdaptivePlan, HandComputed1920x1080Nanodet416) {
  // d = 16, m = 16: k = 1 -> 416x416 tiles. Full frame: k_full = 1920/416 = 4.615, finds objects
  // >= 16 * 4.615 = 73.8 px. Overlap ceil(1.1 * 73.8) = 82 (within [ceil(0.15*416) = 63, 208]).
  // Columns: ceil((1920 - 82) / (416 - 82)) = ceil(5.50) = 6, starts round(i * 1504 / 5) =
  // 0, 301, 602, 902, 1203, 1504. Rows: ceil((1080 - 82) / 334) = ceil(2.99) = 3, starts
  // round(i * 664 / 2) = 0, 332, 664.
  const SlicePlan p = plan_slices({1920, 1080}, adaptive(), PlannerContext::for_input({416, 416}));
  EXPECT_EQ(unique_starts(p.tiles, true), (std::vector<int>{0, 301, 602, 902, 1203, 1504}));
  EXPECT_EQ(unique_starts(p.tiles, false), (std::vector<int>{0, 332, 664}));
  EXPECT_EQ(p.tiles.size(), 18u);
  EXPECT_EQ(p.tiles[0], (TileRect{0, 0, 416, 416}));
  EXPECT_EQ(p.tiles[6], (TileRect{0, 332, 416, 748}));
  EXPECT_TRUE(p.full_frame);
  EXPECT_EQ(p.min_overlap_px, cv::Size(82, 82));
  EXPECT_DOUBLE_EQ(p.min_object_px, 16.0);
  EXPECT_EQ(p.predicted_ms, 0.0); // costs unknown
  check_grid(p, {1920, 1080});
}

TEST(AdaptivePlan, HandComputed3840x2160Yolo640) {
  // m = 24: k = 1.5 -> 960x960 tiles. k_full = 3840/640 = 6, full frame finds >= 96 px; overlap
  // ceil(1.1 * 96) = 106 < ceil(0.15 * 960) = 144 -> 144. Columns ceil((3840 - 144) / 816) =
  // ceil(4.53) = 5, starts i * 2880 / 4; rows ceil((2160 - 144) / 816) = ceil(2.47) = 3, starts
  // i * 1200 / 2.
  const SlicePlan p = plan_slices({3840, 2160}, adaptive(24), PlannerContext::for_input({640, 640}));
  EXPECT_EQ(unique_starts(p.tiles, true), (std::vector<int>{0, 720, 1440, 2160, 2880}));
  EXPECT_EQ(unique_starts(p.tiles, false), (std::vector<int>{0, 600, 1200}));
  EXPECT_EQ(p.tiles[0].width(), 960);
  EXPECT_EQ(p.min_overlap_px, cv::Size(144, 144));
  check_grid(p, {3840, 2160});
}

TEST(AdaptivePlan, FullFrameOnlyWhenItFindsTheWantedObjects) {
  // 768x576 with a 416 input: k_full = 768/416 = 1.846, finds >= 29.5 px.
  const PlannerContext ctx = PlannerContext::for_input({416, 416});
  for (int m : {30, 31, 48, 400}) {
    SCOPED_TRACE(m);
    const SlicePlan p = plan_slices({768, 576}, adaptive(m), ctx);
    EXPECT_TRUE(p.tiles.empty());
    EXPECT_TRUE(p.full_frame);
    EXPECT_NEAR(p.min_object_px, 16 * 768.0 / 416, 1e-9);
  }
  for (int m : {8, 16, 29}) {
    SCOPED_TRACE(m);
    const SlicePlan p = plan_slices({768, 576}, adaptive(m), ctx);
    EXPECT_GE(p.tiles.size(), 2u);
    EXPECT_TRUE(p.full_frame);
  }
  // Frames smaller than the input: the full frame is already upscaled.
  EXPECT_TRUE(plan_slices({300, 200}, adaptive(), ctx).tiles.empty());
  // ... but at most 2x tiles can still help for smaller objects (k = 0.5 < 300/416).
  EXPECT_EQ(plan_slices({300, 200}, adaptive(8), ctx).tiles.size(), 2u);
  // Below half the input the full frame is upscaled more than 2x: nothing to gain.
  EXPECT_TRUE(plan_slices({150, 100}, adaptive(1), ctx).tiles.empty());
}

TEST(AdaptivePlan, PropertiesOnManyFrames) {
  const cv::Size frames[] = {{1920, 1080}, {3840, 2160}, {768, 576},   {1080, 1920},
                             {1280, 720},  {640, 480},   {2592, 1944}, {7680, 4320},
                             {1000, 3000}, {417, 417},   {300, 200},   {5000, 300}};
  const cv::Size inputs[] = {{416, 416}, {640, 640}, {320, 320}, {640, 384}};
  for (cv::Size frame : frames) {
    for (cv::Size input : inputs) {
      const PlannerContext ctx = PlannerContext::for_input(input);
      const double k_full = std::max(double(frame.width) / input.width, double(frame.height) / input.height);
      const double big = 16 * k_full;
      std::size_t previous_tiles = SIZE_MAX;
      for (int m = 1; m <= 160; ++m) {
        SCOPED_TRACE(describe(frame, input, m));
        const SlicePlan p = plan_slices(frame, adaptive(m), ctx);
        ASSERT_FALSE(p.reason.empty());
        // Deterministic.
        ASSERT_EQ(p.tiles, plan_slices(frame, adaptive(m), ctx).tiles);
        // Monotone: more tiles never buy bigger objects.
        ASSERT_LE(p.tiles.size(), previous_tiles);
        previous_tiles = p.tiles.size();
        if (m >= big || std::max(m / 16.0, 0.5) >= k_full) {
          ASSERT_TRUE(p.tiles.empty());
          ASSERT_TRUE(p.full_frame);
          continue;
        }
        if (p.tiles.empty()) {
          // Only when a tile would cover the frame after rounding.
          ASSERT_GE(std::lround(input.width * std::max(m / 16.0, 0.5)), frame.width);
          continue;
        }
        check_grid(p, frame);
        ASSERT_TRUE(p.full_frame);
        // The promised object size: m, or 8 px at the 2x upscale cap.
        // (+0.05: the tile side is rounded to whole pixels, 0.5 px of >= 160.)
        ASSERT_LE(p.min_object_px, std::max(double(m), 8.0) + 0.05);
        // Tiles keep the model's aspect unless clamped by the frame.
        const TileRect& t = p.tiles[0];
        const double k = std::max(m / 16.0, 0.5);
        ASSERT_EQ(t.width(), std::min<int>(std::lround(input.width * k), frame.width));
        ASSERT_EQ(t.height(), std::min<int>(std::lround(input.height * k), frame.height));
        // Overlap holds what the full frame misses, within [15%, 50%] of the tile.
        for (auto [tile, overlap, count] :
             {std::tuple{t.width(), p.min_overlap_px.width, unique_starts(p.tiles, true).size()},
              std::tuple{t.height(), p.min_overlap_px.height, unique_starts(p.tiles, false).size()}}) {
          if (count == 1) continue;
          ASSERT_GE(overlap, std::min<double>(1.1 * big, std::floor(0.5 * tile)));
          ASSERT_GE(overlap, std::ceil(0.15 * tile));
          ASSERT_LE(overlap, tile / 2);
        }
      }
    }
  }
}

TEST(AdaptivePlan, PortraitIsLandscapeTransposed) {
  const PlannerContext ctx = PlannerContext::for_input({416, 416});
  for (int m : {8, 16, 24, 40}) {
    SCOPED_TRACE(m);
    const SlicePlan land = plan_slices({1920, 1080}, adaptive(m), ctx);
    const SlicePlan port = plan_slices({1080, 1920}, adaptive(m), ctx);
    std::set<std::tuple<int, int, int, int>> a, b;
    for (const TileRect& t : land.tiles)
      a.insert({t.y1, t.x1, t.y2, t.x2});
    for (const TileRect& t : port.tiles)
      b.insert({t.x1, t.y1, t.x2, t.y2});
    EXPECT_EQ(a, b);
  }
}

TEST(AdaptivePlan, BudgetIsRespectedAndTheReasonSaysWhatWasGivenUp) {
  PlannerContext ctx = PlannerContext::for_input({416, 416});
  ctx.full_frame_ms = 12;
  ctx.per_tile_ms = 10;
  const cv::Size frame{1920, 1080};
  // Unbudgeted: 18 tiles + full frame = 192 ms predicted.
  const SlicePlan free = plan_slices(frame, adaptive(16), ctx);
  EXPECT_EQ(free.tiles.size(), 18u);
  EXPECT_DOUBLE_EQ(free.predicted_ms, 12 + 18 * 10);
  std::size_t previous = 0;
  for (double budget : {12.0, 25.0, 40.0, 60.0, 100.0, 150.0, 191.0, 192.0, 500.0}) {
    SCOPED_TRACE(budget);
    const SlicePlan p = plan_slices(frame, adaptive(16, budget), ctx);
    const double cost = (p.full_frame ? 12.0 : 0.0) + 10.0 * static_cast<double>(p.tiles.size());
    EXPECT_DOUBLE_EQ(p.predicted_ms, cost);
    EXPECT_LE(p.predicted_ms, budget);
    EXPECT_GE(p.tiles.size(), previous); // more budget, never fewer tiles
    previous = p.tiles.size();
    if (budget < 192) {
      EXPECT_GT(p.min_object_px, 16.0);
      EXPECT_NE(p.reason.find("budget"), std::string::npos) << p.reason;
      EXPECT_NE(p.reason.find("instead of 16"), std::string::npos) << p.reason;
    } else {
      EXPECT_EQ(p.tiles, free.tiles);
    }
    if (!p.tiles.empty()) check_grid(p, frame);
  }
  // Below one full-frame pass: the full frame alone, and the reason says it is over budget.
  const SlicePlan tight = plan_slices(frame, adaptive(16, 5), ctx);
  EXPECT_TRUE(tight.tiles.empty());
  EXPECT_NE(tight.reason.find("over the 5 ms budget"), std::string::npos) << tight.reason;
  // Unknown costs: the budget cannot be applied.
  EXPECT_EQ(plan_slices(frame, adaptive(16, 40), PlannerContext::for_input({416, 416})).tiles, free.tiles);
  // One known cost stands in for the other.
  PlannerContext only_full = PlannerContext::for_input({416, 416});
  only_full.full_frame_ms = 10;
  const SlicePlan p = plan_slices(frame, adaptive(16, 60), only_full);
  EXPECT_LE(p.predicted_ms, 60);
  EXPECT_DOUBLE_EQ(p.predicted_ms, 10.0 * (static_cast<double>(p.tiles.size()) + 1));
}

TEST(AdaptivePlan, FullFramePassCanBeSwitchedOff) {
  SliceOptions o = adaptive(16);
  o.full_frame = false;
  const SlicePlan p = plan_slices({1920, 1080}, o, PlannerContext::for_input({416, 416}));
  EXPECT_FALSE(p.full_frame);
  EXPECT_EQ(p.tiles, plan_slices({1920, 1080}, adaptive(16), PlannerContext::for_input({416, 416})).tiles);
  EXPECT_NE(p.reason.find("no full-frame pass"), std::string::npos) << p.reason;
}

TEST(AdaptivePlan, RejectsBadOptions) {
  const PlannerContext ctx = PlannerContext::for_input({416, 416});
  EXPECT_THROW(plan_slices({1920, 1080}, adaptive(-1), ctx), Error);
  EXPECT_THROW(plan_slices({1920, 1080}, adaptive(16, -5), ctx), Error);
  EXPECT_THROW(plan_slices({0, 1080}, adaptive(16), ctx), Error);
  EXPECT_THROW(plan_slices({1920, 1080}, adaptive(16), PlannerContext::for_input({0, 416})), Error);
}

} // namespace
} // namespace tilescope::tiling
