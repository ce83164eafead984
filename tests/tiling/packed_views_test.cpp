// The packed-crop rules (packed_views.h): join, pack, render, map.
#include "tilescope/core/error.h"
#include "tilescope/tiling/packed_views.h"

#include <gtest/gtest.h>

namespace tilescope::tiling {
namespace {

using detect::BoxXYXY;
using detect::Detection;

cv::Rect placed_rect(const Placement& p, double scale) {
  return {p.at.x, p.at.y, static_cast<int>(std::ceil(p.crop.width() / scale)),
          static_cast<int>(std::ceil(p.crop.height() / scale))};
}

// Every crop placed once, inside the canvas, apart from the others by the gap.
void expect_valid_packing(const std::vector<cv::Rect>& crops, const std::vector<PackedCanvas>& canvases,
                          const PackOptions& o) {
  std::size_t placed = 0;
  for (const PackedCanvas& c : canvases) {
    EXPECT_FALSE(c.placements.empty());
    EXPECT_EQ(c.scale, o.scale);
    for (std::size_t i = 0; i < c.placements.size(); ++i) {
      const cv::Rect a = placed_rect(c.placements[i], o.scale);
      EXPECT_EQ(a & cv::Rect({0, 0}, o.canvas), a) << "outside the canvas";
      for (std::size_t j = i + 1; j < c.placements.size(); ++j) {
        const cv::Rect b = placed_rect(c.placements[j], o.scale);
        // Apart by at least the gap on some axis.
        const bool apart_x = a.x + a.width + o.gap_px <= b.x || b.x + b.width + o.gap_px <= a.x;
        const bool apart_y = a.y + a.height + o.gap_px <= b.y || b.y + b.height + o.gap_px <= a.y;
        EXPECT_TRUE(apart_x || apart_y) << "placements " << i << " and " << j << " closer than the gap";
      }
      placed++;
    }
  }
  EXPECT_EQ(placed, crops.size());
  for (const cv::Rect& r : crops) {
    int found = 0;
    for (const PackedCanvas& c : canvases)
      for (const Placement& p : c.placements)
        found += p.crop.rect() == r;
    EXPECT_GE(found, 1) << "crop " << r << " not placed";
  }
}

TEST(PackedViews, JoinsOverlappingAndNearCropsWhileTheUnionFits) {
  const cv::Size max{416, 416};
  // Overlapping: joined.
  EXPECT_EQ(join_crops({{0, 0, 100, 100}, {50, 50, 100, 100}}, max, 0),
            (std::vector<cv::Rect>{{0, 0, 150, 150}}));
  // 8 px apart: joined with join_px 8, not with 4.
  EXPECT_EQ(join_crops({{0, 0, 100, 100}, {108, 0, 100, 100}}, max, 8).size(), 1u);
  EXPECT_EQ(join_crops({{0, 0, 100, 100}, {108, 0, 100, 100}}, max, 4).size(), 2u);
  // Overlapping, but the union is wider than a canvas: both kept.
  EXPECT_EQ(join_crops({{0, 0, 300, 100}, {200, 0, 300, 100}}, max, 8).size(), 2u);
  // Chains: a joins b, then the union joins c.
  EXPECT_EQ(join_crops({{0, 0, 50, 50}, {40, 0, 50, 50}, {85, 0, 50, 50}}, max, 0),
            (std::vector<cv::Rect>{{0, 0, 135, 50}}));
  // Empty crops go.
  EXPECT_TRUE(join_crops({{10, 10, 0, 5}}, max, 8).empty());
  EXPECT_THROW(join_crops({}, max, -1), Error);
}

TEST(PackedViews, PacksShelvesTallestFirst) {
  PackOptions o;
  o.canvas = {416, 416};
  o.gap_px = 16;
  // Four 200x200 crops: 200 + 16 + 200 = 416, two shelves of two: one canvas.
  std::vector<cv::Rect> four;
  for (int i = 0; i < 4; ++i)
    four.push_back({i * 300, 0, 200, 200});
  const std::vector<PackedCanvas> one = pack_crops(four, o);
  ASSERT_EQ(one.size(), 1u);
  expect_valid_packing(four, one, o);
  // A fifth needs a second canvas.
  std::vector<cv::Rect> five = four;
  five.push_back({0, 300, 200, 200});
  const std::vector<PackedCanvas> two = pack_crops(five, o);
  EXPECT_EQ(two.size(), 2u);
  expect_valid_packing(five, two, o);
  // Small crops fill the shelf a tall one opened.
  const std::vector<cv::Rect> mixed{{0, 0, 40, 100}, {100, 0, 300, 300}, {500, 0, 50, 60}, {600, 0, 30, 30}};
  const std::vector<PackedCanvas> m = pack_crops(mixed, o);
  ASSERT_EQ(m.size(), 1u);
  expect_valid_packing(mixed, m, o);
  EXPECT_EQ(m[0].placements[0].crop.rect(), mixed[1]); // tallest first, at the origin
  EXPECT_EQ(m[0].placements[0].at, cv::Point(0, 0));
  // The same crops give the same canvases.
  EXPECT_EQ(pack_crops(mixed, o), m);
}

// A crop on a frame edge goes to that edge of the canvas: an object the frame cuts meets
// the input's edge, as in a tile, not the fill.
TEST(PackedViews, CropsOnAFrameEdgeGoToThatEdgeOfTheCanvas) {
  PackOptions o;
  o.canvas = {416, 416};
  o.gap_px = 16;
  const cv::Rect right{700, 100, 68, 100}, left{0, 300, 50, 80}, middle{300, 200, 60, 60},
      bottom{400, 500, 60, 76};
  const std::vector<cv::Rect> crops{middle, bottom, right, left};
  const auto at = [](const std::vector<PackedCanvas>& c, const cv::Rect& crop) {
    for (const Placement& p : c[0].placements)
      if (p.crop.rect() == crop) return p.at;
    ADD_FAILURE() << "crop " << crop << " not placed";
    return cv::Point(-1, -1);
  };
  // Without the frame: tallest first, from the top left.
  const std::vector<PackedCanvas> plain = pack_crops(crops, o);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(at(plain, right), cv::Point(0, 0));
  // With it: one shelf (all fit beside the tallest), holding a bottom-edge crop, so flush
  // with the canvas bottom; the right-edge crop flush right, the left-edge one at x 0,
  // the bottom-edge one at the bottom of the shelf.
  o.frame = {768, 576};
  const std::vector<PackedCanvas> edged = pack_crops(crops, o);
  ASSERT_EQ(edged.size(), 1u);
  expect_valid_packing(crops, edged, o);
  EXPECT_EQ(at(edged, right), cv::Point(416 - 68, 416 - 100));
  EXPECT_EQ(at(edged, left).x, 0);
  EXPECT_EQ(at(edged, bottom).y + 76, 416);
  // A top-edge crop's shelf comes first, at y 0.
  const cv::Rect top{100, 0, 300, 40};
  const std::vector<cv::Rect> with_top{middle, bottom, right, left, top};
  const std::vector<PackedCanvas> two_shelves = pack_crops(with_top, o);
  ASSERT_EQ(two_shelves.size(), 1u);
  expect_valid_packing(with_top, two_shelves, o);
  EXPECT_EQ(at(two_shelves, top).y, 0);
  EXPECT_EQ(at(two_shelves, bottom).y + 76, 416);
}

TEST(PackedViews, ScaleShrinksCropsIntoTheCanvas) {
  PackOptions o;
  o.canvas = {320, 320};
  o.scale = 2.0; // tiles of 640 for a 320 model
  EXPECT_EQ(max_crop_px(o), cv::Size(640, 640));
  EXPECT_TRUE(fits({0, 0, 640, 300}, o));
  EXPECT_FALSE(fits({0, 0, 641, 300}, o));
  const std::vector<cv::Rect> crops{{0, 0, 300, 300}, {400, 0, 300, 300}, {0, 400, 300, 300}};
  const std::vector<PackedCanvas> c = pack_crops(crops, o);
  ASSERT_EQ(c.size(), 1u); // 150-px squares: two on a shelf, 150 + 16 + 150 <= 320
  expect_valid_packing(crops, c, o);
}

TEST(PackedViews, RefusesWhatDoesNotFit) {
  PackOptions o;
  o.canvas = {416, 416};
  EXPECT_THROW(pack_crops({{0, 0, 417, 10}}, o), Error);
  EXPECT_THROW(pack_crops({{0, 0, 0, 10}}, o), Error);
  o.scale = 0;
  EXPECT_THROW(pack_crops({{0, 0, 10, 10}}, o), Error);
  o.scale = 1;
  o.gap_px = -1;
  EXPECT_THROW(pack_crops({{0, 0, 10, 10}}, o), Error);
}

TEST(PackedViews, RendersCropsOnTheFill) {
  cv::Mat frame(100, 200, CV_8UC3);
  for (int y = 0; y < frame.rows; ++y)
    for (int x = 0; x < frame.cols; ++x)
      frame.at<cv::Vec3b>(y, x) = {static_cast<uchar>(x), static_cast<uchar>(y), 7};
  PackedCanvas canvas;
  canvas.placements = {{{10, 20, 40, 60}, {0, 0}}, {{150, 0, 200, 50}, {50, 5}}};
  cv::Mat out;
  render_canvas(frame, canvas, {128, 96}, 114, out);
  ASSERT_EQ(out.size(), cv::Size(128, 96));
  EXPECT_EQ(out.at<cv::Vec3b>(0, 0), frame.at<cv::Vec3b>(20, 10));
  EXPECT_EQ(out.at<cv::Vec3b>(39, 29), frame.at<cv::Vec3b>(59, 39));
  EXPECT_EQ(out.at<cv::Vec3b>(5, 50), frame.at<cv::Vec3b>(0, 150));
  EXPECT_EQ(out.at<cv::Vec3b>(54, 99), frame.at<cv::Vec3b>(49, 199));
  EXPECT_EQ(out.at<cv::Vec3b>(0, 45), cv::Vec3b(114, 114, 114)); // the gap
  EXPECT_EQ(out.at<cv::Vec3b>(95, 127), cv::Vec3b(114, 114, 114));
  PackedCanvas outside;
  outside.placements = {{{190, 0, 210, 10}, {0, 0}}};
  EXPECT_THROW(render_canvas(frame, outside, {128, 96}, 114, out), Error);
}

TEST(PackedViews, MapsBoxesBackToTheFrame) {
  PackedCanvas canvas;
  canvas.scale = 2.0;
  // Crop [100, 200) x [40, 140) at (0, 0) is 50x50 canvas px; crop [300, 400) x [0, 60) at (66, 0) is 50x30.
  canvas.placements = {{{100, 40, 200, 140}, {0, 0}}, {{300, 0, 400, 60}, {66, 0}}};
  const std::vector<Detection> in_canvas{
      {{10, 10, 20, 30}, 0.9f, 1}, // in the first crop
      {{70, 2, 90, 20}, 0.8f, 2},  // in the second
      {{52, 10, 64, 20}, 0.7f, 3}, // centred in the gap: fill
      {{38, 30, 58, 45}, 0.6f, 4}, // centred in the first, reaching into the gap: clipped
  };
  const std::vector<PlacedDetection> placed = map_canvas_detections(canvas, in_canvas);
  ASSERT_EQ(placed.size(), 3u);
  EXPECT_EQ(placed[0].placement, 0u);
  EXPECT_EQ(placed[0].detection.box, (BoxXYXY{120, 60, 140, 100}));
  EXPECT_EQ(placed[0].box_in_crop, (BoxXYXY{20, 20, 40, 60}));
  EXPECT_EQ(placed[0].detection.class_id, 1);
  EXPECT_EQ(placed[1].placement, 1u);
  EXPECT_EQ(placed[1].detection.box, (BoxXYXY{308, 4, 348, 40}));
  EXPECT_EQ(placed[2].detection.class_id, 4);
  EXPECT_EQ(placed[2].detection.box, (BoxXYXY{176, 100, 200, 130})); // x2 clipped at the crop's edge
}

} // namespace
} // namespace tilescope::tiling
