// SAHI's fixed and automatic slicing: hand-computed cases (cases/sahi_slices.test)
// and properties over many sizes.
#include "case_file.h"
#include "tilescope/core/error.h"
#include "tilescope/tiling/plan.h"

#include <gtest/gtest.h>

namespace tilescope::tiling {
namespace {

using testing::parse_size;
using testing::words;

std::string str(const std::vector<TileRect>& tiles) {
  std::string s;
  for (const TileRect& t : tiles)
    s += "  " + std::to_string(t.x1) + " " + std::to_string(t.y1) + " " + std::to_string(t.x2) + " " +
         std::to_string(t.y2) + "\n";
  return s;
}

// The expected slices of a case: explicit "x1 y1 x2 y2" lines, or an "xs"/"ys" grid.
std::vector<TileRect> expected_slices(const testing::TextCase& c, int width, int height, int slice_w,
                                      int slice_h) {
  std::vector<TileRect> out;
  std::vector<int> xs, ys;
  for (const std::string& line : c.expected) {
    const auto w = words(line);
    if (w.empty() || w[0] == "params") continue;
    if (w[0] == "xs" || w[0] == "ys") {
      for (std::size_t i = 1; i < w.size(); ++i)
        (w[0] == "xs" ? xs : ys).push_back(std::stoi(w[i]));
      continue;
    }
    if (w.size() != 4) throw std::runtime_error(c.name() + ": bad expected line '" + line + "'");
    out.push_back({std::stoi(w[0]), std::stoi(w[1]), std::stoi(w[2]), std::stoi(w[3])});
  }
  for (int y : ys) {
    for (int x : xs)
      out.push_back({x, y, std::min(x + slice_w, width), std::min(y + slice_h, height)});
  }
  return out;
}

TEST(SahiSlicing, HandComputedCases) {
  const auto cases =
      testing::read_cases(std::string(TILESCOPE_SOURCE_DIR) + "/tests/tiling/cases/sahi_slices.test");
  ASSERT_GE(cases.size(), 20u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name());
    const auto in = words(c.input.at(0));
    const auto [width, height] = parse_size(in.at(1));
    if (in[0] == "slices") {
      const auto [sw, sh] = parse_size(in.at(2));
      const double rw = std::stod(in.at(3)), rh = std::stod(in.at(4));
      const auto got = sahi_slice_bboxes(height, width, sh, sw, rh, rw);
      const auto want = expected_slices(c, width, height, sw, sh);
      EXPECT_EQ(got, want) << "got:\n" << str(got) << "want:\n" << str(want);
    } else {
      ASSERT_EQ(in[0], "auto");
      const SahiAutoParams p = sahi_auto_slice_params(height, width);
      const auto params = words(c.expected.at(0));
      ASSERT_EQ(params.at(0), "params");
      const auto [sw, sh] = parse_size(params.at(2));
      const auto [ow, oh] = parse_size(params.at(4));
      EXPECT_EQ(p.resolution, params.at(1));
      EXPECT_EQ(p.slice_width, sw);
      EXPECT_EQ(p.slice_height, sh);
      EXPECT_EQ(p.overlap_width_px, ow);
      EXPECT_EQ(p.overlap_height_px, oh);
      const auto got = sahi_auto_slice_bboxes(height, width);
      const auto want = expected_slices(c, width, height, sw, sh);
      EXPECT_EQ(got, want) << "got:\n" << str(got) << "want:\n" << str(want);
    }
  }
}

// Properties of get_slice_bboxes on many sizes: every slice inside the image, of the
// slice size (clipped only when the slice exceeds the image), the union covers every
// pixel, rows in order, neighbours overlap by at least int(ratio * slice).
TEST(SahiSlicing, PropertiesOnManySizes) {
  const int sizes[] = {1, 7, 100, 255, 256, 257, 416, 511, 640, 641, 768, 1000, 1080, 1920, 2160, 3840};
  const int slices[] = {64, 256, 320, 416, 512, 640};
  const double ratios[] = {0.0, 0.1, 0.2, 0.25, 0.5, 0.9};
  for (int w : sizes) {
    for (int h : sizes) {
      for (int s : slices) {
        for (double r : ratios) {
          SCOPED_TRACE("image " + std::to_string(w) + "x" + std::to_string(h) + " slice " +
                       std::to_string(s) + " ratio " + std::to_string(r));
          const int overlap = static_cast<int>(r * s);
          const int step = s - overlap;
          if ((w / step + 1) * (h / step + 1) > 20000) continue; // keep the suite fast
          const auto tiles = sahi_slice_bboxes(h, w, s, s, r, r);
          ASSERT_FALSE(tiles.empty());
          std::vector<int> covered_x(static_cast<std::size_t>(w), 0),
              covered_y(static_cast<std::size_t>(h), 0);
          for (std::size_t i = 0; i < tiles.size(); ++i) {
            const TileRect& t = tiles[i];
            ASSERT_GE(t.x1, 0);
            ASSERT_GE(t.y1, 0);
            ASSERT_LE(t.x2, w);
            ASSERT_LE(t.y2, h);
            ASSERT_EQ(t.width(), std::min(s, w));
            ASSERT_EQ(t.height(), std::min(s, h));
            for (int x = t.x1; x < t.x2; ++x)
              covered_x[static_cast<std::size_t>(x)] = 1;
            for (int y = t.y1; y < t.y2; ++y)
              covered_y[static_cast<std::size_t>(y)] = 1;
            if (i > 0) {
              const TileRect& p = tiles[i - 1];
              // Row by row: same row -> further right, overlapping by >= overlap; new row -> starts at x 0.
              if (t.y1 == p.y1) {
                ASSERT_GT(t.x1, p.x1);
                ASSERT_GE(p.x2 - t.x1, overlap);
              } else {
                ASSERT_GT(t.y1, p.y1);
                ASSERT_EQ(t.x1, 0);
              }
            }
          }
          // A grid: columns are the same in every row, so covering x and y separately covers the image.
          ASSERT_EQ(std::count(covered_x.begin(), covered_x.end(), 0), 0);
          ASSERT_EQ(std::count(covered_y.begin(), covered_y.end(), 0), 0);
          const std::size_t cols = static_cast<std::size_t>(std::count_if(
              tiles.begin(), tiles.end(), [&](const TileRect& t) { return t.y1 == tiles[0].y1; }));
          ASSERT_EQ(tiles.size() % cols, 0u);
          for (std::size_t i = 0; i < tiles.size(); ++i) {
            ASSERT_EQ(tiles[i].x1, tiles[i % cols].x1);
          }
        }
      }
    }
  }
}

// SAHI's bands over resolutions that cross each boundary, and the orientation rule.
TEST(SahiSlicing, AutoBandsAndOrientations) {
  struct Case {
    int w, h;
    const char* band;
    int sw, sh;
  };
  // n = the largest integer with 2^n < w*h. Boundaries: 2^19 = 524288, 2^21 = 2097152, 2^24 = 16777216.
  const Case cases[] = {
      {724, 724, "low", 724, 724},            // 524176 < 2^19: n = 18
      {725, 724, "medium", 362, 724},         // 524900 > 2^19: n = 19; landscape: 725 // 2
      {724, 725, "medium", 724, 362},         // portrait: 725 // 2
      {1448, 1448, "medium", 1448, 1448},     // 2096704 < 2^21: n = 20; square
      {1449, 1448, "high", 362, 724},         // 2098152 > 2^21: n = 21; 1449 // 4, 1448 // 2
      {1448, 1449, "high", 724, 362},         // portrait: 1448 // 2, 1449 // 4
      {4096, 4096, "high", 2048, 2048},       // 2^24 exactly: n = 23
      {4096, 4097, "ultra-high", 1024, 512},  // n = 24; portrait: 4096 // 4, 4097 // 8
      {8192, 8192, "ultra-high", 2048, 2048}, // 2^26: n = 25; square: // 4
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.w) + "x" + std::to_string(c.h));
    const SahiAutoParams p = sahi_auto_slice_params(c.h, c.w);
    EXPECT_EQ(p.resolution, c.band);
    EXPECT_EQ(p.slice_width, c.sw);
    EXPECT_EQ(p.slice_height, c.sh);
    const double ratio = p.resolution == "low" ? 1.0 : p.resolution == "medium" ? 0.8 : 0.4;
    EXPECT_EQ(p.overlap_width_ratio, ratio);
    EXPECT_EQ(p.overlap_width_px, static_cast<int>(c.sw * ratio));
    EXPECT_EQ(p.overlap_height_px, static_cast<int>(c.sh * ratio));
  }
}

TEST(SahiSlicing, RejectsBadArguments) {
  EXPECT_THROW(sahi_slice_bboxes(0, 100, 10, 10, 0.2, 0.2), Error);
  EXPECT_THROW(sahi_slice_bboxes(100, 100, 0, 10, 0.2, 0.2), Error);
  EXPECT_THROW(sahi_slice_bboxes(100, 100, 10, 10, 1.0, 0.2), Error); // would never end in SAHI
  EXPECT_THROW(sahi_slice_bboxes(100, 100, 10, 10, 0.2, -0.1), Error);
  EXPECT_THROW(sahi_auto_slice_params(-1, 10), Error);
}

TEST(SlicePlan, FixedAndSahiAutoFollowSahiAndItsStandardPrediction) {
  SliceOptions o;
  parse_slice_mode("640x640", o);
  PlannerContext ctx = PlannerContext::for_input({416, 416});
  SlicePlan p = plan_slices({1920, 1080}, o, ctx);
  EXPECT_EQ(p.tiles, sahi_slice_bboxes(1080, 1920, 640, 640, 0.2, 0.2));
  EXPECT_TRUE(p.full_frame); // perform_standard_pred=True by default
  o.full_frame = false;
  EXPECT_FALSE(plan_slices({1920, 1080}, o, ctx).full_frame);
  // One slice: SAHI runs the standard prediction only when num_slices > 1.
  o.full_frame.reset();
  p = plan_slices({600, 400}, o, ctx);
  ASSERT_EQ(p.tiles.size(), 1u);
  EXPECT_EQ(p.tiles[0], (TileRect{0, 0, 600, 400}));
  EXPECT_FALSE(p.full_frame);

  parse_slice_mode("sahi-auto", o);
  p = plan_slices({1920, 1080}, o, ctx);
  EXPECT_EQ(p.tiles.size(), 6u);
  EXPECT_TRUE(p.full_frame);
  EXPECT_EQ(plan_slices({640, 480}, o, ctx).full_frame, false); // low: one slice

  parse_slice_mode("off", o);
  p = plan_slices({1920, 1080}, o, ctx);
  EXPECT_TRUE(p.tiles.empty());
  EXPECT_TRUE(p.full_frame);
}

TEST(SlicePlan, ParseSliceMode) {
  SliceOptions o;
  parse_slice_mode("512x384", o);
  EXPECT_EQ(o.mode, SliceMode::kFixed);
  EXPECT_EQ(o.slice_width, 512);
  EXPECT_EQ(o.slice_height, 384);
  parse_slice_mode("416", o);
  EXPECT_EQ(o.slice_width, 416);
  EXPECT_EQ(o.slice_height, 416);
  parse_slice_mode("adaptive", o);
  EXPECT_EQ(o.mode, SliceMode::kAdaptive);
  for (const char* bad : {"", "auto", "0x640", "640x", "x640", "-640x640", "640x640x3", "64 0", "6.4x640"}) {
    SCOPED_TRACE(bad);
    try {
      parse_slice_mode(bad, o);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
    }
  }
  o.mode = SliceMode::kFixed;
  o.slice_width = 640;
  o.slice_height = 640;
  o.overlap = 1.0;
  EXPECT_THROW(plan_slices({1920, 1080}, o, PlannerContext{}), Error);
}

} // namespace
} // namespace tilescope::tiling
