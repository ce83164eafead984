// TiledDetector end to end with the default model (NanoDet-m, fetched by
// scripts/setup into .cache/models/nanodet) on messi5.jpg from Debian's opencv-doc:
// slicing must give boxes in frame pixels that agree with full-frame detection, and
// tiles must find small players the full frame misses. Skipped when either is missing.
#include "tilescope/tiling/packed_views.h"
#include "tilescope/tiling/tiled_detector.h"
#include "tilescope/video/video_reader.h"

#include <cstdio>
#include <filesystem>
#include <gtest/gtest.h>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace tilescope::tiling {
namespace {

using detect::BoxXYXY;
using detect::Detection;

const std::string kModel = std::string(TILESCOPE_SOURCE_DIR) + "/.cache/models/nanodet/nanodet.json";
const std::string kPhoto = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";
// The player in messi5.jpg (548x342), labelled by hand (tests/detect/default_model_test.cpp).
const BoxXYXY kPlayer{58, 62, 460, 340};
constexpr int kPerson = 0; // COCO

class TiledDetectorTest : public ::testing::Test {
protected:
  // One model for the suite: opening it costs more than most of the tests.
  static void SetUpTestSuite() {
    if (std::filesystem::exists(kModel) && std::filesystem::exists(kPhoto)) {
      shared_detector_ = std::make_unique<detect::Detector>(detect::Detector::open(kModel));
    }
  }
  static void TearDownTestSuite() { shared_detector_.reset(); }
  void SetUp() override {
    if (shared_detector_ == nullptr)
      GTEST_SKIP() << kModel << " or " << kPhoto << " missing: run scripts/setup";
    detector_ = shared_detector_.get();
    photo_ = cv::imread(kPhoto);
    ASSERT_FALSE(photo_.empty());
  }

  static double best_iou(const std::vector<Detection>& dets, const BoxXYXY& box, int class_id,
                         float min_score) {
    double best = 0;
    for (const Detection& d : dets) {
      if (d.class_id == class_id && d.score > min_score) best = std::max(best, detect::iou(d.box, box));
    }
    return best;
  }

  static inline std::unique_ptr<detect::Detector> shared_detector_;
  detect::Detector* detector_ = nullptr;
  cv::Mat photo_;
};

TEST_F(TiledDetectorTest, SlicingOffIsThePlainDetector) {
  TiledDetector tiled(*detector_, SliceOptions{}, MergeOptions{});
  const TiledResult r = tiled.detect(photo_, {});
  EXPECT_EQ(r.detections, detector_->detect({photo_}).detections_in_image[0]);
  EXPECT_TRUE(r.plan.tiles.empty());
  EXPECT_TRUE(r.plan.full_frame);
  EXPECT_GT(tiled.context().full_frame_ms, 0); // measured
  EXPECT_EQ(tiled.context().model_input, cv::Size(416, 416));
}

// Large objects: 416 slices over the photo (548x342: tiles 0-416 and 132-548) without
// the full-frame pass, so the player (402 px wide) is cut in both tiles. The boxes come
// from the tiles alone, shifted into frame pixels and joined by the edge-cut rule; the
// player must agree with full-frame detection (IoU > 0.5; measured 0.87), as one box.
TEST_F(TiledDetectorTest, FixedSlicesAgreeWithTheFullFrameOnLargeObjects) {
  const std::vector<Detection> full = detector_->detect({photo_}).detections_in_image[0];
  const auto find_player = [&](const std::vector<Detection>& dets) -> const Detection* {
    for (const Detection& d : dets) {
      if (d.class_id == kPerson && d.score > 0.3f && detect::iou(d.box, kPlayer) > 0.5) return &d;
    }
    return nullptr;
  };
  const Detection* player = find_player(full);
  ASSERT_NE(player, nullptr) << "the full frame should find the player";

  SliceOptions slice;
  parse_slice_mode("416x416", slice);
  slice.full_frame = false;
  TiledDetector tiled(*detector_, slice, MergeOptions{});
  const TiledResult r = tiled.detect(photo_, {});
  ASSERT_EQ(r.plan.tiles, (std::vector<TileRect>{{0, 0, 416, 342}, {132, 0, 548, 342}}));
  EXPECT_FALSE(r.plan.full_frame);
  for (const Detection& d : r.detections) {
    ASSERT_GE(d.box.x1, 0);
    ASSERT_LE(d.box.x2, photo_.cols);
    ASSERT_GE(d.box.y1, 0);
    ASSERT_LE(d.box.y2, photo_.rows);
  }
  const Detection* tiled_player = find_player(r.detections);
  ASSERT_NE(tiled_player, nullptr);
  EXPECT_GT(detect::iou(tiled_player->box, player->box), 0.5);
  // One box for the player: no partial copy survives beside it.
  int copies = 0;
  for (const Detection& d : r.detections)
    copies += d.class_id == kPerson && d.score > 0.3f && ios(d.box, player->box) > 0.8 && d.box.width() > 100;
  EXPECT_EQ(copies, 1);
  // The ball, 51 px, lies whole in both tiles.
  const auto ball = [](const std::vector<Detection>& dets) {
    for (const Detection& d : dets) {
      if (d.class_id == 32 && detect::iou(d.box, {338, 290, 389, 337}) > 0.7) return true;
    }
    return false;
  };
  EXPECT_TRUE(ball(full));
  EXPECT_TRUE(ball(r.detections));
}

// A person split across two tiles: the photo shrunk to 0.75 on a 1140x500 frame, 600x500
// slices with overlap 0.1 (tiles 0-600 and 540-1140: a 60 px strip), the player (302 px
// wide) across the strip. Each tile sees a part; the edge-cut rule joins them into one
// box, where SAHI's merge alone keeps two (they overlap by less than half the smaller).
TEST_F(TiledDetectorTest, APersonSplitAcrossTwoTilesComesOutAsOneBox) {
  cv::Mat frame(500, 1140, CV_8UC3, cv::Scalar(114, 114, 114));
  cv::Mat small;
  const double s = 0.75;
  cv::resize(photo_, small, {}, s, s, cv::INTER_AREA);
  const int x0 = 380, y0 = 100;
  small.copyTo(frame(cv::Rect(x0, y0, small.cols, small.rows)));
  const BoxXYXY player{float(x0 + kPlayer.x1 * s), float(y0 + kPlayer.y1 * s), float(x0 + kPlayer.x2 * s),
                       float(y0 + kPlayer.y2 * s)};
  SliceOptions slice;
  parse_slice_mode("600x500", slice);
  slice.overlap = 0.1;
  slice.full_frame = false;
  for (bool edge_cuts : {true, false}) {
    MergeOptions merge;
    merge.edge_cuts = edge_cuts;
    TiledDetector tiled(*detector_, slice, merge);
    const TiledResult r = tiled.detect(frame, {});
    ASSERT_EQ(r.plan.tiles, (std::vector<TileRect>{{0, 0, 600, 500}, {540, 0, 1140, 500}}));
    int boxes_on_player = 0;
    double best = 0;
    for (const Detection& d : r.detections) {
      // A box on the player: mostly inside it (IoS >= 0.6) and not a limb (>= 1/4 of its width).
      if (d.class_id != kPerson || d.score <= 0.3f || ios(d.box, player) < 0.6 ||
          d.box.width() < 0.25f * player.width()) {
        continue;
      }
      ++boxes_on_player;
      best = std::max(best, detect::iou(d.box, player));
    }
    SCOPED_TRACE(edge_cuts ? "with the edge-cut rule" : "SAHI merge alone");
    // Measured: joined box IoU 0.81 with the player; without the rule the halves
    // (392-600 and 541-725) overlap by IoS 0.32 and both stay.
    if (edge_cuts) {
      EXPECT_EQ(boxes_on_player, 1);
      EXPECT_GT(best, 0.7);
    } else {
      EXPECT_EQ(boxes_on_player, 2);
    }
  }
}

// Small objects: twelve copies of the photo shrunk to 0.2 (the player 80x56 px) on a
// 1920x1080 grey frame. Letterboxed whole into 416x416 a player spans ~17x12 input
// pixels and the full frame misses most; 416 slices see them at full resolution.
// The photo shrunk 5x, 12 times over a 1920x1080 grey frame; `players` gets their boxes.
cv::Mat twelve_players(const cv::Mat& photo, std::vector<BoxXYXY>& players) {
  cv::Mat frame(1080, 1920, CV_8UC3, cv::Scalar(114, 114, 114));
  cv::Mat small;
  const double s = 0.2;
  cv::resize(photo, small, {}, s, s, cv::INTER_AREA);
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 4; ++col) {
      // Spread over the frame, some across tile borders.
      const int x = 60 + col * 470 + row * 37, y = 80 + row * 330 + col * 11;
      small.copyTo(frame(cv::Rect(x, y, small.cols, small.rows)));
      players.push_back({static_cast<float>(x + kPlayer.x1 * s), static_cast<float>(y + kPlayer.y1 * s),
                         static_cast<float>(x + kPlayer.x2 * s), static_cast<float>(y + kPlayer.y2 * s)});
    }
  }
  return frame;
}

int players_found(const std::vector<Detection>& dets, const std::vector<BoxXYXY>& players) {
  int n = 0;
  for (const BoxXYXY& p : players) {
    double best = 0;
    for (const Detection& d : dets)
      if (d.class_id == kPerson && d.score > 0.25f) best = std::max(best, detect::iou(d.box, p));
    n += best > 0.5;
  }
  return n;
}

TEST_F(TiledDetectorTest, TilesFindSmallPlayersTheFullFrameMisses) {
  std::vector<BoxXYXY> players;
  const cv::Mat frame = twelve_players(photo_, players);
  const auto found = [&](const std::vector<Detection>& dets) { return players_found(dets, players); };
  const int by_full_frame = found(detector_->detect({frame}).detections_in_image[0]);

  SliceOptions fixed;
  parse_slice_mode("416x416", fixed);
  TiledDetector fixed_tiles(*detector_, fixed, MergeOptions{});
  const TiledResult fixed_result = fixed_tiles.detect(frame, {});
  const int by_fixed = found(fixed_result.detections);

  SliceOptions adaptive;
  adaptive.mode = SliceMode::kAdaptive;
  adaptive.min_object_px = 16;
  TiledDetector adaptive_tiles(*detector_, adaptive, MergeOptions{});
  const TiledResult adaptive_result = adaptive_tiles.detect(frame, {});
  const int by_adaptive = found(adaptive_result.detections);

  // Measured when writing: full frame 0 of 12 (best IoU 0.00 for every player), fixed 416
  // 9 of 12, adaptive 10 of 12 (the others at IoU 0.4: the merge encloses a spectator of
  // the shrunk photo). The bounds leave room for float rounding on other machines.
  RecordProperty("full_frame", by_full_frame);
  RecordProperty("fixed_416", by_fixed);
  RecordProperty("adaptive", by_adaptive);
  EXPECT_LE(by_full_frame, 3);
  EXPECT_GE(by_fixed, 8);
  EXPECT_GE(by_adaptive, 8);
  EXPECT_EQ(adaptive_result.plan.tiles.size(), 18u); // 416 tiles, 6x3 (AdaptivePlan.HandComputed...)
  EXPECT_GT(adaptive_tiles.context().per_tile_ms, 0);
  EXPECT_GT(adaptive_tiles.context().full_frame_ms, 0);
}

// The group rule (edge_cuts.h) on a real pair: frame 626 of vtest.avi, two people one
// behind the other (checked by eye: docs/images/group_rule.jpg). The full-frame pass boxes
// them as one (score 0.71), a tile boxes them apart (0.55, 0.52); SAHI's merge keeps the
// pair box, the group rule the two people.
TEST_F(TiledDetectorTest, TwoPeopleTheFullFrameBoxesAsOneStayTwo) {
  const std::string video = std::string(TILESCOPE_SOURCE_DIR) + "/.cache/media/vtest.avi";
  if (!std::filesystem::exists(video)) GTEST_SKIP() << video << " missing: run scripts/setup";
  video::VideoReader reader = video::VideoReader::open(video);
  video::Frame frame;
  for (int i = 0; i <= 626; ++i)
    ASSERT_TRUE(reader.read(frame)) << "vtest.avi ends before frame " << i;
  // The tile's boxes, checked by eye against the frame; the full-frame pass's pair box.
  const BoxXYXY back{598, 248, 638, 336}, front{582, 280, 620, 380};
  const BoxXYXY pair{582, 246, 638, 381};
  SliceOptions adaptive;
  adaptive.mode = SliceMode::kAdaptive;
  for (const bool split : {true, false}) {
    MergeOptions merge;
    merge.split_groups = split;
    TiledDetector tiled(*detector_, adaptive, merge);
    const TiledResult r = tiled.detect(frame.bgr, {});
    ASSERT_TRUE(r.plan.full_frame);
    ASSERT_EQ(r.plan.tiles.size(), 4u);
    const double to_back = best_iou(r.detections, back, kPerson, 0.25f);
    const double to_front = best_iou(r.detections, front, kPerson, 0.25f);
    const double to_pair = best_iou(r.detections, pair, kPerson, 0.25f);
    std::printf("[ measured ] split_groups %d: best IoU with the back person %.2f, the front one %.2f, "
                "the pair %.2f\n",
                split, to_back, to_front, to_pair);
    if (split) {
      EXPECT_GT(to_back, 0.8);
      EXPECT_GT(to_front, 0.8);
      EXPECT_LT(to_pair, 0.6);
    } else {
      EXPECT_GT(to_pair, 0.8);
      EXPECT_LT(to_back, 0.6);
      EXPECT_LT(to_front, 0.6);
    }
  }
}

// The same players seen through crops around them packed into model inputs (live gating,
// packed_views.h): the tiles' resolution in a few views instead of 18 tiles, boxes back in
// frame pixels.
TEST_F(TiledDetectorTest, PackedCropsSeeSmallPlayersLikeTilesInFewViews) {
  std::vector<BoxXYXY> players;
  const cv::Mat frame = twelve_players(photo_, players);
  const cv::Rect frame_rect(0, 0, frame.cols, frame.rows);
  std::vector<cv::Rect> crops;
  for (const BoxXYXY& p : players) {
    // The player and 24 px of context around it.
    crops.push_back(cv::Rect(cv::Point(static_cast<int>(p.x1) - 24, static_cast<int>(p.y1) - 24),
                             cv::Point(static_cast<int>(p.x2) + 24, static_cast<int>(p.y2) + 24)) &
                    frame_rect);
  }
  PackOptions pack;
  pack.canvas = detector_->input_size();
  SlicePlan plan;
  plan.canvases = pack_crops(join_crops(crops, max_crop_px(pack), 8), pack);
  TiledDetector tiled(*detector_, SliceOptions{}, MergeOptions{});
  const TiledResult r = tiled.detect(frame, {}, plan);
  const int by_packed = players_found(r.detections, players);
  // Measured when writing: 12 crops of 128x104 in 2 canvases (9 + 3), 10 of 12 players found
  // (fixed 416 tiles: 9 of 12 with 18 views, the test above).
  RecordProperty("packed", by_packed);
  RecordProperty("canvases", static_cast<int>(plan.canvases.size()));
  EXPECT_LE(plan.canvases.size(), 2u);
  EXPECT_EQ(plan.views(), plan.canvases.size());
  EXPECT_GE(by_packed, 9);
  // Every box lies inside some crop (nothing from the fill).
  for (const Detection& d : r.detections) {
    const bool inside = std::any_of(crops.begin(), crops.end(), [&](const cv::Rect& c) {
      return d.box.x1 >= c.x && d.box.y1 >= c.y && d.box.x2 <= c.x + c.width && d.box.y2 <= c.y + c.height;
    });
    EXPECT_TRUE(inside) << d.box.x1 << "," << d.box.y1;
  }
}

} // namespace
} // namespace tilescope::tiling
