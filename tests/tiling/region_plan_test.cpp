// Region gating (region_plan.h): hand-computed plans on a 2x2 grid, properties over
// the adaptive planner, and TiledDetector running a given plan.
#include "tilescope/core/error.h"
#include "tilescope/tiling/region_plan.h"
#include "tilescope/tiling/tiled_detector.h"

#include <filesystem>
#include <gtest/gtest.h>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <random>

namespace tilescope::tiling {
namespace {

// The adaptive plan of a 768x576 frame (vtest.avi) for a 416x416 model (NanoDet-m):
// 416-pixel tiles, columns at x 0 and 352, rows at y 0 and 160, plus the full frame.
//
//        0        352  416        768
//     0  +---------+----+----------+
//        | t0      |    |       t1 |
//   160  +---------+----+----------+
//        |         |    |          |
//   416  +---------+----+----------+
//        | t2      |    |       t3 |
//   576  +---------+----+----------+
const cv::Size kFrame{768, 576};

SlicePlan grid_plan(bool full_frame = true) {
  SlicePlan p;
  p.tiles = {{0, 0, 416, 416}, {352, 0, 768, 416}, {0, 160, 416, 576}, {352, 160, 768, 576}};
  p.full_frame = full_frame;
  p.min_object_px = 16;
  p.min_overlap_px = {63, 63};
  return p;
}

std::vector<int> kept_indices(const SlicePlan& gated, const SlicePlan& full) {
  std::vector<int> out;
  for (const TileRect& t : gated.tiles) {
    const auto it = std::find(full.tiles.begin(), full.tiles.end(), t);
    out.push_back(it == full.tiles.end() ? -1 : static_cast<int>(it - full.tiles.begin()));
  }
  return out;
}

using Indices = std::vector<int>;
using Rects = std::vector<cv::Rect>;

TEST(RegionPlan, NoRegionsRunNothing) {
  const SlicePlan gated = plan_regions(kFrame, grid_plan(), Rects{});
  EXPECT_TRUE(gated.tiles.empty());
  EXPECT_FALSE(gated.full_frame);
  // Empty regions, and regions wholly outside the frame, are no regions.
  const SlicePlan ignored = plan_regions(kFrame, grid_plan(), Rects{{10, 10, 0, 20}, {800, 10, 20, 20}});
  EXPECT_TRUE(ignored.tiles.empty());
  EXPECT_FALSE(ignored.full_frame);
}

TEST(RegionPlan, FullFrameOnlyPlanGivesTheFullFrame) {
  SlicePlan full;
  full.full_frame = true;
  const SlicePlan gated = plan_regions(kFrame, full, Rects{{10, 10, 20, 20}});
  EXPECT_TRUE(gated.tiles.empty());
  EXPECT_TRUE(gated.full_frame);
  EXPECT_FALSE(plan_regions(kFrame, full, Rects{}).full_frame);
}

// (10, 10)-(60, 90): left of x 352 and above y 160, so only t0 holds it.
TEST(RegionPlan, RegionHeldByOneTile) {
  const SlicePlan gated = plan_regions(kFrame, grid_plan(), Rects{{10, 10, 50, 80}});
  EXPECT_EQ(kept_indices(gated, grid_plan()), Indices({0}));
  EXPECT_FALSE(gated.full_frame);
  EXPECT_EQ(gated.min_object_px, 16);
  EXPECT_EQ(gated.min_overlap_px, cv::Size(63, 63));
}

// (370, 200)-(400, 260) lies in the overlap of all four tiles. Margins over the sides
// that cut the frame: t0 right 416 - 400 = 16; t1 left 370 - 352 = 18 (its top, right are
// frame edges; bottom 416 - 260 = 156); t2 min(top 40, right 16) = 16; t3 min(left 18,
// top 40) = 18. Best 18: t1 and t3 tie, the earlier (t1) wins.
TEST(RegionPlan, MostMarginWinsAndTiesGoToTheEarlierTile) {
  const SlicePlan gated = plan_regions(kFrame, grid_plan(), Rects{{370, 200, 30, 60}});
  EXPECT_EQ(kept_indices(gated, grid_plan()), Indices({1}));
  // Frame edges do not count as cuts: (2, 2)-(12, 12) touches the frame corner, t0 alone
  // holds it, so margin 0 to the frame does not matter.
  EXPECT_EQ(kept_indices(plan_regions(kFrame, grid_plan(), Rects{{2, 2, 10, 10}}), grid_plan()),
            Indices({0}));
}

// A = (370, 200, 30, 60) fits all four tiles; B = (600, 500)-(640, 540) only t3. B is
// served first (most constrained) and keeps t3, which also holds A: one tile. Without
// reuse A takes its own most-margin tile t1.
TEST(RegionPlan, KeptTilesAreReused) {
  const std::vector<cv::Rect> regions{{370, 200, 30, 60}, {600, 500, 40, 40}};
  EXPECT_EQ(kept_indices(plan_regions(kFrame, grid_plan(), regions), grid_plan()), Indices({3}));
  RegionPlanOptions no_reuse;
  no_reuse.reuse_kept_tiles = false;
  EXPECT_EQ(kept_indices(plan_regions(kFrame, grid_plan(), regions, no_reuse), grid_plan()), Indices({1, 3}));
}

// (300, 20)-(500, 70) is 200 px wide but crosses x 352..416 on both sides: no tile holds
// it. It intersects t0 and t1 (rows: y < 160), and is a large object: full frame too.
TEST(RegionPlan, RegionInNoTileKeepsIntersectingTilesAndTheFullFrame) {
  const SlicePlan gated = plan_regions(kFrame, grid_plan(), Rects{{300, 20, 200, 50}});
  EXPECT_EQ(kept_indices(gated, grid_plan()), Indices({0, 1}));
  EXPECT_TRUE(gated.full_frame);
  // Wider than a tile: every tile it touches, (100, 100)-(600, 200) reaches row 2 (y 160).
  const SlicePlan wide = plan_regions(kFrame, grid_plan(), Rects{{100, 100, 500, 100}});
  EXPECT_EQ(kept_indices(wide, grid_plan()), Indices({0, 1, 2, 3}));
  EXPECT_TRUE(wide.full_frame);
  // No full frame in the full plan: none in the gated one.
  const SlicePlan tiles_only = plan_regions(kFrame, grid_plan(false), Rects{{300, 20, 200, 50}});
  EXPECT_EQ(kept_indices(tiles_only, grid_plan(false)), Indices({0, 1}));
  EXPECT_FALSE(tiles_only.full_frame);
}

// (360, 10)-(410, 20): both top tiles hold it (t0 margin 416 - 410 = 6, t1 360 - 352 =
// 8: t1). Padded by 10 it spans 350..420, inside neither: both, and the full frame.
TEST(RegionPlan, PaddingGrowsRegionsAndIsClampedToTheFrame) {
  const std::vector<cv::Rect> region{{360, 10, 50, 10}};
  EXPECT_EQ(kept_indices(plan_regions(kFrame, grid_plan(), region), grid_plan()), Indices({1}));
  RegionPlanOptions pad;
  pad.padding_px = 10;
  const SlicePlan padded = plan_regions(kFrame, grid_plan(), region, pad);
  EXPECT_EQ(kept_indices(padded, grid_plan()), Indices({0, 1}));
  EXPECT_TRUE(padded.full_frame);
  // Clamped: (740, 550)-(760, 570) padded by 40 ends at the frame corner, t3 alone.
  pad.padding_px = 40;
  EXPECT_EQ(kept_indices(plan_regions(kFrame, grid_plan(), Rects{{740, 550, 20, 20}}, pad), grid_plan()),
            Indices({3}));
  pad.padding_px = -1;
  EXPECT_THROW(plan_regions(kFrame, grid_plan(), region, pad), Error);
}

// Step 2: with full_frame_finds_px = 30 (about the adaptive planner's 29.5 for 768x576
// and a 416 input), a region whose object is 30 px or more needs the full frame alone; a
// smaller one a tile. The object size is the region's longer side unless object_px says
// otherwise (padded areas).
TEST(RegionPlan, ObjectsTheFullFrameFindsNeedNoTile) {
  RegionPlanOptions o;
  o.full_frame_finds_px = 30;
  // (10, 10)-(40, 50): 40 px, large. (600, 500)-(620, 520): 20 px, small: t3.
  const SlicePlan gated = plan_regions(kFrame, grid_plan(), Rects{{10, 10, 30, 40}, {600, 500, 20, 20}}, o);
  EXPECT_EQ(kept_indices(gated, grid_plan()), Indices({3}));
  EXPECT_TRUE(gated.full_frame);
  // Only large objects: the full frame alone.
  const SlicePlan large = plan_regions(kFrame, grid_plan(), Rects{{10, 10, 30, 40}, {300, 20, 200, 50}}, o);
  EXPECT_TRUE(large.tiles.empty());
  EXPECT_TRUE(large.full_frame);
  // A padded area of a 20 px object is 60 px wide but holds a small object: a tile.
  const SlicePlan padded =
      plan_regions(kFrame, grid_plan(), std::vector<Region>{{{590, 490, 60, 60}, 20}}, o);
  EXPECT_EQ(kept_indices(padded, grid_plan()), Indices({3}));
  EXPECT_FALSE(padded.full_frame);
  // Without a full-frame pass in the plan, large objects need tiles like any other.
  const SlicePlan no_full = plan_regions(kFrame, grid_plan(false), Rects{{10, 10, 30, 40}}, o);
  EXPECT_EQ(kept_indices(no_full, grid_plan(false)), Indices({0}));
  EXPECT_FALSE(no_full.full_frame);
  // The padding does not make an object large: (600, 500, 20, 20) padded by 10 is 40 px.
  o.padding_px = 10;
  EXPECT_EQ(kept_indices(plan_regions(kFrame, grid_plan(), Rects{{600, 500, 20, 20}}, o), grid_plan()),
            Indices({3}));
  o.padding_px = 0;
  EXPECT_THROW(plan_regions(kFrame, grid_plan(), std::vector<Region>{{{0, 0, 5, 5}, -1}}, o), Error);
}

// Step 2b: a large object inside a tile that runs anyway is looked at there; the full
// frame runs only for a large object no kept tile holds.
TEST(RegionPlan, LargeObjectsInAKeptTileNeedNoFullFrame) {
  RegionPlanOptions o;
  o.full_frame_finds_px = 30;
  o.large_in_kept_tiles = true;
  // Small (600, 500)-(620, 520) keeps t3; large (500, 300)-(560, 400) lies whole in t3.
  const std::vector<Region> inside{{{600, 500, 20, 20}, 0}, {{500, 300, 60, 100}, 0}};
  const SlicePlan held = plan_regions(kFrame, grid_plan(), inside, o);
  EXPECT_EQ(kept_indices(held, grid_plan()), Indices({3}));
  EXPECT_FALSE(held.full_frame);
  // A large object at (10, 10), in t0 only, which no small region keeps: the full frame.
  std::vector<Region> outside = inside;
  outside.push_back({{10, 10, 30, 40}, 0});
  const SlicePlan not_held = plan_regions(kFrame, grid_plan(), outside, o);
  EXPECT_EQ(kept_indices(not_held, grid_plan()), Indices({3}));
  EXPECT_TRUE(not_held.full_frame);
  // Large objects alone keep no tile: the full frame, as without the option.
  const SlicePlan large_only = plan_regions(kFrame, grid_plan(), std::vector<Region>{inside[1]}, o);
  EXPECT_TRUE(large_only.tiles.empty());
  EXPECT_TRUE(large_only.full_frame);
  // Off (the default): the full frame for any large object.
  o.large_in_kept_tiles = false;
  EXPECT_TRUE(plan_regions(kFrame, grid_plan(), inside, o).full_frame);
}

// Step 2b chooses the tiles for the fewest views: a small region that two tiles hold goes
// to the one that also holds the large object, though the other has more margin.
TEST(RegionPlan, LargeObjectsInAKeptTileChooseTheTilesForFewestViews) {
  RegionPlanOptions o;
  o.full_frame_finds_px = 30;
  // Small (600, 200)-(620, 220): in t1 (margin 196 to its bottom) and t3 (40 to its top).
  // Large (500, 450)-(560, 550): in t3 only.
  const std::vector<Region> regions{{{600, 200, 20, 20}, 0}, {{500, 450, 60, 100}, 0}};
  const SlicePlan greedy = plan_regions(kFrame, grid_plan(), regions, o);
  EXPECT_EQ(kept_indices(greedy, grid_plan()), Indices({1}));
  EXPECT_TRUE(greedy.full_frame);
  o.large_in_kept_tiles = true;
  const SlicePlan fewest = plan_regions(kFrame, grid_plan(), regions, o);
  EXPECT_EQ(kept_indices(fewest, grid_plan()), Indices({3}));
  EXPECT_FALSE(fewest.full_frame);
  // With a second large object in t0 only, t3 alone needs the full frame too: 2 views
  // either way, and step 3's choice stays (t1, the most margin, and the full frame).
  std::vector<Region> more = regions;
  more.push_back({{10, 10, 30, 40}, 0});
  const SlicePlan tie = plan_regions(kFrame, grid_plan(), more, o);
  EXPECT_EQ(kept_indices(tie, grid_plan()), Indices({1}));
  EXPECT_TRUE(tie.full_frame);
}

// The packed variant: small regions become crops in one canvas, moved whole into the frame;
// large ones keep the full frame; a crop too large for a canvas takes tiles.
TEST(RegionPlan, PackedSmallRegionsAreCropsLargeOnesTheFullFrame) {
  RegionPlanOptions o;
  o.full_frame_finds_px = 30;
  PackOptions pack;
  pack.canvas = {416, 416};
  pack.frame = kFrame;
  // Two small regions far apart (one past the right edge), one large.
  const std::vector<Region> regions{
      {{20, 20, 20, 20}, 10}, {{760, 300, 20, 20}, 10}, {{300, 300, 60, 100}, 0}};
  const SlicePlan packed = plan_regions_packed(kFrame, grid_plan(), regions, o, pack, 8);
  EXPECT_TRUE(packed.tiles.empty());
  EXPECT_TRUE(packed.full_frame);
  ASSERT_EQ(packed.canvases.size(), 1u);
  std::vector<cv::Rect> crops;
  for (const Placement& p : packed.canvases[0].placements)
    crops.push_back(p.crop.rect());
  EXPECT_EQ(crops.size(), 2u);
  EXPECT_NE(std::find(crops.begin(), crops.end(), cv::Rect(20, 20, 20, 20)), crops.end());
  EXPECT_NE(std::find(crops.begin(), crops.end(), cv::Rect(748, 300, 20, 20)), crops.end()) << "moved in";
  EXPECT_EQ(packed.views(), 2u);
  // A crop wider than a canvas goes to the grid rule as an object of its own size: the
  // full frame.
  const SlicePlan wide =
      plan_regions_packed(kFrame, grid_plan(), std::vector<Region>{{{100, 100, 500, 40}, 10}}, o, pack, 8);
  EXPECT_TRUE(wide.canvases.empty());
  EXPECT_TRUE(wide.tiles.empty());
  EXPECT_TRUE(wide.full_frame);
  // Nothing saved (six 300-px crops no two of which join: six canvases): the full plan.
  std::vector<Region> many;
  for (int y : {0, 276})
    for (int x : {0, 234, 468})
      many.push_back({{x, y, 300, 300}, 10});
  EXPECT_EQ(plan_regions_packed(kFrame, grid_plan(), many, o, pack, 0).views(), grid_plan().views());
}

TEST(RegionPlan, FullFrameFindsWhatTheAdaptivePlannerSays) {
  // 768x576 for 416x416: max(768 / 416, 576 / 416) = 1.846 frame px per input px, times 16.
  EXPECT_NEAR(full_frame_finds_px({768, 576}, {416, 416}), 16 * 768.0 / 416, 1e-9);
  EXPECT_NEAR(full_frame_finds_px({1920, 1080}, {640, 640}, 20), 20 * 3.0, 1e-9);
}

TEST(RegionPlan, KeptTilesComeInPlanOrder) {
  // Bottom-right, then top-left region: t0 before t3 in the result.
  const SlicePlan gated = plan_regions(kFrame, grid_plan(), Rects{{700, 540, 20, 20}, {10, 10, 20, 20}});
  EXPECT_EQ(kept_indices(gated, grid_plan()), Indices({0, 3}));
  EXPECT_NE(gated.reason.find("2 of 4 tiles for 2 regions"), std::string::npos) << gated.reason;
}

// Over adaptive plans of several frame sizes: every region no larger than the plan's
// overlap lies whole in a kept tile, no full frame is needed for them, kept tiles are a
// subset of the plan in its order, and the same input gives the same plan.
TEST(RegionPlan, SmallRegionsAlwaysLieWholeInAKeptTile) {
  std::mt19937 rng(7);
  for (const cv::Size frame : {cv::Size(768, 576), cv::Size(1920, 1080), cv::Size(3840, 2160)}) {
    SliceOptions o;
    o.mode = SliceMode::kAdaptive;
    const SlicePlan full = plan_slices(frame, o, PlannerContext::for_input({416, 416}));
    ASSERT_GE(full.tiles.size(), 2u);
    const int max_w = full.min_overlap_px.width, max_h = full.min_overlap_px.height;
    for (int round = 0; round < 200; ++round) {
      std::vector<cv::Rect> regions;
      const int n = std::uniform_int_distribution<int>(1, 6)(rng);
      for (int i = 0; i < n; ++i) {
        const int w = std::uniform_int_distribution<int>(1, max_w)(rng);
        const int h = std::uniform_int_distribution<int>(1, max_h)(rng);
        regions.push_back({std::uniform_int_distribution<int>(0, frame.width - w)(rng),
                           std::uniform_int_distribution<int>(0, frame.height - h)(rng), w, h});
      }
      const SlicePlan gated = plan_regions(frame, full, regions);
      ASSERT_FALSE(gated.full_frame);
      ASSERT_LE(gated.tiles.size(), regions.size());
      std::vector<int> idx = kept_indices(gated, full);
      ASSERT_TRUE(std::is_sorted(idx.begin(), idx.end()));
      ASSERT_EQ(std::find(idx.begin(), idx.end(), -1), idx.end());
      for (const cv::Rect& r : regions) {
        const bool held = std::any_of(gated.tiles.begin(), gated.tiles.end(),
                                      [&r](const TileRect& t) { return (t.rect() & r) == r; });
        ASSERT_TRUE(held) << "region " << r << " in frame " << frame;
      }
      ASSERT_EQ(plan_regions(frame, full, regions).tiles, gated.tiles);
    }
  }
}

// With large regions too: large_in_kept_tiles never runs more views than without it, and
// every small region still lies whole in a kept tile.
TEST(RegionPlan, LargeInKeptTilesNeverRunsMoreViews) {
  std::mt19937 rng(11);
  for (const cv::Size frame : {cv::Size(768, 576), cv::Size(1920, 1080)}) {
    SliceOptions so;
    so.mode = SliceMode::kAdaptive;
    const SlicePlan full = plan_slices(frame, so, PlannerContext::for_input({416, 416}));
    ASSERT_TRUE(full.full_frame);
    RegionPlanOptions o;
    o.full_frame_finds_px = full_frame_finds_px(frame, {416, 416});
    const int max_w = full.min_overlap_px.width, max_h = full.min_overlap_px.height;
    int fewer = 0;
    for (int round = 0; round < 300; ++round) {
      std::vector<Region> regions;
      const int n = std::uniform_int_distribution<int>(1, 6)(rng);
      for (int i = 0; i < n; ++i) {
        const bool large = std::uniform_int_distribution<int>(0, 2)(rng) == 0;
        const int w = std::uniform_int_distribution<int>(1, max_w)(rng);
        const int h = std::uniform_int_distribution<int>(1, max_h)(rng);
        regions.push_back({{std::uniform_int_distribution<int>(0, frame.width - w)(rng),
                            std::uniform_int_distribution<int>(0, frame.height - h)(rng), w, h},
                           large ? o.full_frame_finds_px : 1.0});
      }
      o.large_in_kept_tiles = false;
      const SlicePlan greedy = plan_regions(frame, full, regions, o);
      o.large_in_kept_tiles = true;
      const SlicePlan fewest = plan_regions(frame, full, regions, o);
      ASSERT_LE(fewest.views(), greedy.views());
      fewer += fewest.views() < greedy.views() ? 1 : 0;
      for (const Region& r : regions) {
        if (r.object_px >= o.full_frame_finds_px && fewest.full_frame) continue;
        const bool held = std::any_of(fewest.tiles.begin(), fewest.tiles.end(),
                                      [&r](const TileRect& t) { return (t.rect() & r.area) == r.area; });
        ASSERT_TRUE(held) << "region " << r.area << " in frame " << frame;
      }
    }
    EXPECT_GT(fewer, 0) << frame; // the option does save views on some of these
  }
}

// --- TiledDetector::detect with a given plan (default model, skipped when missing) ---

const std::string kModel = std::string(TILESCOPE_SOURCE_DIR) + "/.cache/models/nanodet/nanodet.json";
const std::string kPhoto = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

class GivenPlanTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    if (std::filesystem::exists(kModel) && std::filesystem::exists(kPhoto))
      detector_ = std::make_unique<detect::Detector>(detect::Detector::open(kModel));
  }
  static void TearDownTestSuite() { detector_.reset(); }
  void SetUp() override {
    if (detector_ == nullptr) GTEST_SKIP() << kModel << " or " << kPhoto << " missing: run scripts/setup";
    photo_ = cv::imread(kPhoto);
    ASSERT_FALSE(photo_.empty());
  }
  static inline std::unique_ptr<detect::Detector> detector_;
  cv::Mat photo_;
};

TEST_F(GivenPlanTest, EmptyPlanRunsNothing) {
  TiledDetector tiled(*detector_, SliceOptions{}, MergeOptions{});
  const TiledResult r = tiled.detect(photo_, {}, SlicePlan{});
  EXPECT_TRUE(r.detections.empty());
  EXPECT_EQ(r.timings.runs, 0);
  EXPECT_EQ(tiled.context().full_frame_ms, 0); // no cost measured: nothing ran
  EXPECT_EQ(tiled.context().per_tile_ms, 0);
}

TEST_F(GivenPlanTest, GivenPlanIsWhatDetectPlans) {
  SliceOptions fixed;
  parse_slice_mode("256x256", fixed);
  TiledDetector tiled(*detector_, fixed, MergeOptions{});
  const SlicePlan plan = tiled.plan(photo_.size());
  const TiledResult planned = tiled.detect(photo_, {});
  const TiledResult given = tiled.detect(photo_, {}, plan);
  EXPECT_EQ(given.plan.tiles, planned.plan.tiles);
  EXPECT_EQ(given.detections, planned.detections);
  EXPECT_GT(tiled.context().per_tile_ms, 0);

  // One tile alone: tile costs update, its boxes are in frame pixels inside the tile.
  SlicePlan one;
  one.tiles = {plan.tiles.back()};
  const TiledResult r = tiled.detect(photo_, {}, one);
  EXPECT_EQ(r.timings.runs, 1);
  for (const detect::Detection& d : r.detections) {
    EXPECT_GE(d.box.x1, one.tiles[0].x1 - 0.5f);
    EXPECT_LE(d.box.x2, one.tiles[0].x2 + 0.5f);
  }
  SlicePlan outside;
  outside.tiles = {{500, 0, 700, 100}};
  EXPECT_THROW(tiled.detect(photo_, {}, outside), Error);
}

} // namespace
} // namespace tilescope::tiling
