// Boxes cut by inner tile borders (edge_cuts.h), on synthetic tile detections:
// what the detector would box in each tile for a person crossing tile borders.
#include "tilescope/tiling/edge_cuts.h"
#include "tilescope/tiling/merge.h"

#include <algorithm>
#include <gtest/gtest.h>

namespace tilescope::tiling {
namespace {

using detect::BoxXYXY;
using detect::Detection;

constexpr float kTol = 2.0f;

// What a perfect detector reports for `object` (frame pixels) in each tile: the
// visible part, shifted into frame pixels, tagged with its cut sides.
std::vector<TileDetection> see(const BoxXYXY& object, float score, const std::vector<TileRect>& tiles,
                               cv::Size frame, int class_id = 0) {
  std::vector<TileDetection> out;
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const TileRect& t = tiles[i];
    const BoxXYXY in_tile{std::max<float>(object.x1 - t.x1, 0), std::max<float>(object.y1 - t.y1, 0),
                          std::min<float>(object.x2 - t.x1, t.width()),
                          std::min<float>(object.y2 - t.y1, t.height())};
    if (in_tile.width() <= 0 || in_tile.height() <= 0) continue;
    TileDetection d;
    d.detection = {
        {in_tile.x1 + t.x1, in_tile.y1 + t.y1, in_tile.x2 + t.x1, in_tile.y2 + t.y1}, score, class_id};
    d.tile = static_cast<int>(i);
    d.cut_sides = cut_sides(in_tile, t, frame, kTol);
    out.push_back(d);
  }
  return out;
}

std::vector<Detection> resolve_and_merge(const std::vector<TileDetection>& dets, MergeOptions merge,
                                         bool edge_cuts = true) {
  merge.edge_cuts = edge_cuts;
  Merger merger;
  std::vector<Detection> candidates, merged;
  merge_tile_detections(dets, merge, kTol, merger, candidates, merged);
  return merged;
}

TEST(EdgeCuts, CutSidesOnlyAtInnerBorders) {
  const cv::Size frame{1000, 500};
  const TileRect left{0, 0, 600, 500}, right{400, 0, 1000, 500};
  // Touching the left tile's right border (inner): cut right. Its left border is the frame's.
  EXPECT_EQ(cut_sides({0, 10, 600, 490}, left, frame, kTol), kCutRight);
  EXPECT_EQ(cut_sides({0, 0, 598.5f, 500}, left, frame, kTol), kCutRight); // within 2 px
  EXPECT_EQ(cut_sides({0, 0, 597.5f, 500}, left, frame, kTol), 0);         // 2.5 px away
  // The right tile: its left border is inner, its right border the frame's.
  EXPECT_EQ(cut_sides({1, 10, 600, 490}, right, frame, kTol), kCutLeft);
  EXPECT_EQ(cut_sides({100, 10, 200, 490}, right, frame, kTol), 0);
  // A tile in the middle of a 3x3 grid: all four borders inner.
  EXPECT_EQ(cut_sides({0, 0, 100, 100}, TileRect{100, 100, 200, 200}, {300, 300}, kTol),
            kCutLeft | kCutTop | kCutRight | kCutBottom);
}

// A person (100 px wide) inside the 200 px overlap: tile B sees it whole, tile A sees
// half of it, and that half scores higher. NMS keeps the half without the rule.
TEST(EdgeCuts, PartialCopyIsAbsorbedIntoTheWholeOne) {
  const cv::Size frame{1000, 500};
  const std::vector<TileRect> tiles{{0, 0, 600, 500}, {400, 0, 1000, 500}};
  auto dets = see({550, 100, 650, 400}, 0.7f, tiles, frame);
  ASSERT_EQ(dets.size(), 2u);
  ASSERT_EQ(dets[0].cut_sides, kCutRight);
  ASSERT_EQ(dets[1].cut_sides, 0);
  dets[0].detection.score = 0.9f;
  MergeOptions nms{MergeAlgorithm::kNms, MatchMetric::kIos, 0.5f, false};
  const auto with = resolve_and_merge(dets, nms);
  ASSERT_EQ(with.size(), 1u);
  EXPECT_EQ(with[0].box, (BoxXYXY{550, 100, 650, 400}));
  EXPECT_FLOAT_EQ(with[0].score, 0.9f); // the whole box takes the higher score
  const auto without = resolve_and_merge(dets, nms, false);
  ASSERT_EQ(without.size(), 1u);
  EXPECT_EQ(without[0].box, (BoxXYXY{550, 100, 600, 400})); // the half survives
  // Greedy NMM with IoU without the rule: IoU = 15000 / 30000 = 0.5 takes the whole box
  // (>= 0.5) but the re-check (> 0.5) drops it: the half is all that is left.
  MergeOptions iou{MergeAlgorithm::kGreedyNmm, MatchMetric::kIou, 0.5f, false};
  const auto iou_without = resolve_and_merge(dets, iou, false);
  ASSERT_EQ(iou_without.size(), 1u);
  EXPECT_EQ(iou_without[0].box, (BoxXYXY{550, 100, 600, 400}));
  const auto iou_with = resolve_and_merge(dets, iou);
  ASSERT_EQ(iou_with.size(), 1u);
  EXPECT_EQ(iou_with[0].box, (BoxXYXY{550, 100, 650, 400}));
}

// A person wider than the overlap (tiles overlap by 50 px) is cut in two halves that
// overlap by only 50 px: IoS = 50 / 350 = 0.14, so SAHI's merge leaves two boxes.
TEST(EdgeCuts, HalvesOfAnObjectLargerThanTheOverlapAreJoined) {
  const cv::Size frame{1000, 500};
  const std::vector<TileRect> tiles{{0, 0, 550, 500}, {500, 0, 1000, 500}};
  const auto dets = see({200, 100, 900, 400}, 0.8f, tiles, frame);
  ASSERT_EQ(dets.size(), 2u);
  EXPECT_EQ(dets[0].cut_sides, kCutRight);
  EXPECT_EQ(dets[1].cut_sides, kCutLeft);
  const MergeOptions sahi; // greedy NMM, IoS 0.5, per class
  EXPECT_EQ(resolve_and_merge(dets, sahi, false).size(), 2u);
  const auto joined = resolve_and_merge(dets, sahi);
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].box, (BoxXYXY{200, 100, 900, 400}));
}

// An object over the corner of a 2x2 grid: four quarters, each cut on two sides, joined
// transitively into one; the same with vertical cuts only.
TEST(EdgeCuts, FourQuartersAreJoinedIntoOne) {
  const cv::Size frame{1000, 1000};
  const std::vector<TileRect> tiles{
      {0, 0, 550, 550}, {450, 0, 1000, 550}, {0, 450, 550, 1000}, {450, 450, 1000, 1000}};
  const auto dets = see({300, 250, 800, 700}, 0.6f, tiles, frame);
  ASSERT_EQ(dets.size(), 4u);
  EXPECT_EQ(dets[0].cut_sides, kCutRight | kCutBottom);
  EXPECT_EQ(dets[3].cut_sides, kCutLeft | kCutTop);
  MergeOptions nms{MergeAlgorithm::kNms, MatchMetric::kIou, 0.5f, false};
  const auto joined = resolve_and_merge(dets, nms);
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].box, (BoxXYXY{300, 250, 800, 700}));
  EXPECT_GT(resolve_and_merge(dets, nms, false).size(), 1u);
}

TEST(EdgeCuts, DifferentObjectsAreNotJoinedOrAbsorbed) {
  const cv::Size frame{1000, 500};
  const std::vector<TileRect> tiles{{0, 0, 550, 500}, {500, 0, 1000, 500}};
  // Two people cut by the same strip at different heights: along-border overlap 0.
  std::vector<TileDetection> dets = see({300, 50, 700, 200}, 0.8f, {tiles[0]}, frame);
  dets[0].cut_sides = cut_sides({300, 50, 550, 200}, tiles[0], frame, kTol);
  auto other = see({300, 300, 700, 450}, 0.8f, tiles, frame);
  TileDetection right_half = other[1]; // cut on its left
  dets.push_back(right_half);
  ASSERT_EQ(dets[0].cut_sides, kCutRight);
  ASSERT_EQ(dets[1].cut_sides, kCutLeft);
  std::vector<Detection> out;
  resolve_edge_cuts(dets, EdgeCutOptions{}, out);
  EXPECT_EQ(out.size(), 2u);

  // Different classes: not joined per class, joined class-agnostic.
  auto a = see({200, 100, 900, 400}, 0.8f, tiles, frame);
  a[1].detection.class_id = 3;
  out.clear();
  resolve_edge_cuts(a, EdgeCutOptions{}, out);
  EXPECT_EQ(out.size(), 2u);
  EdgeCutOptions agnostic;
  agnostic.class_agnostic = true;
  out.clear();
  resolve_edge_cuts(a, agnostic, out);
  ASSERT_EQ(out.size(), 1u);

  // A cut box inside an uncut box that stops short of the cut side is not its whole copy.
  std::vector<TileDetection> b = see({500, 100, 560, 400}, 0.8f, tiles, frame); // cut right in tile 0
  ASSERT_EQ(b[0].cut_sides, kCutRight);
  TileDetection small_uncut;
  small_uncut.detection = {{490, 100, 545, 400}, 0.5f, 0};
  small_uncut.tile = 1;
  std::vector<TileDetection> c{b[0], small_uncut};
  out.clear();
  resolve_edge_cuts(c, EdgeCutOptions{}, out);
  EXPECT_EQ(out.size(), 2u);
}

// Group: the full-frame pass boxes two people side by side as one (score 0.7); a tile
// boxes them apart (0.6, 0.55). Greedy NMM with IoS would grow both tile boxes into the
// pair box (each lies inside it); the group rule drops the pair box first.
TEST(EdgeCuts, FullFrameBoxAroundObjectsATileBoxedApartIsDropped) {
  TileDetection pair;
  pair.detection = {{100, 100, 180, 260}, 0.7f, 0};
  pair.tile = -1;
  TileDetection left, right;
  left.detection = {{100, 102, 138, 258}, 0.6f, 0};
  left.tile = 0;
  right.detection = {{142, 100, 180, 260}, 0.55f, 0};
  right.tile = 0;
  const std::vector<TileDetection> dets{left, right, pair};
  MergeOptions merge; // SAHI's: greedy NMM, IoS 0.5
  const std::vector<Detection> split = resolve_and_merge(dets, merge);
  ASSERT_EQ(split.size(), 2u);
  EXPECT_EQ(split[0].box, left.detection.box);
  EXPECT_EQ(split[1].box, right.detection.box);
  // Without the rule: one box around the pair.
  merge.split_groups = false;
  const std::vector<Detection> grouped = resolve_and_merge(dets, merge);
  ASSERT_EQ(grouped.size(), 1u);
  EXPECT_EQ(grouped[0].box, pair.detection.box);
  merge.split_groups = true;

  // The tile also boxed the pair's area whole: it may be one object in parts; kept.
  TileDetection whole = pair;
  whole.tile = 0;
  whole.detection.score = 0.5f;
  EXPECT_EQ(resolve_and_merge({left, right, whole, pair}, merge).size(), 1u);
  // The two boxes come from different tiles: no one view saw them apart; kept.
  TileDetection right_elsewhere = right;
  right_elsewhere.tile = 1;
  EXPECT_EQ(resolve_and_merge({left, right_elsewhere, pair}, merge).size(), 1u);
  // Small parts (a head, a bag) inside a large full-frame box do not make it a group.
  TileDetection head, bag;
  head.detection = {{120, 100, 150, 130}, 0.6f, 0};
  head.tile = 0;
  bag.detection = {{150, 200, 180, 240}, 0.6f, 0};
  bag.tile = 0;
  EXPECT_EQ(resolve_and_merge({head, bag, pair}, merge).size(), 1u);
  // Two boxes that overlap much (one object boxed twice) do not either.
  TileDetection twice = left;
  twice.detection.box = {104, 100, 150, 258};
  EXPECT_EQ(resolve_and_merge({left, twice, pair}, merge).size(), 1u);
  // Another class in the tile does not split a person's box.
  TileDetection left_car = left, right_car = right;
  left_car.detection.class_id = right_car.detection.class_id = 2;
  const std::vector<Detection> classes = resolve_and_merge({left_car, right_car, pair}, merge);
  EXPECT_EQ(std::count_if(classes.begin(), classes.end(), [](const Detection& d) { return d.class_id == 0; }),
            1);
}

} // namespace
} // namespace tilescope::tiling
