// Zones and masks in pixels (zones.h): the bottom-centre rule, edges, order, masks.
#include "zones.h"

#include <gtest/gtest.h>

namespace tilescope::pipeline {
namespace {

using detect::BoxXYXY;

config::Polygon rect(double x1, double y1, double x2, double y2) {
  return {{x1, y1}, {x2, y1}, {x2, y2}, {x1, y2}};
}

TEST(Zones, NormalisedPointsScaleToTheFrame) {
  const PixelPolygon p = to_pixels({{0, 0}, {0.5, 0.25}, {1, 1}}, {800, 600});
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[1], cv::Point2f(400, 150));
  EXPECT_EQ(p[2], cv::Point2f(800, 600));
  EXPECT_EQ(bottom_centre({10, 20, 30, 60}), cv::Point2f(20, 60));
}

// Frigate's rule: where the box stands, not where it overlaps. A person whose head is in
// the zone (top half) but whose feet are below it is not in it.
TEST(Zones, AnObjectIsWhereItsBottomCentreIs) {
  const ZoneMap map({{"top", rect(0, 0, 1, 0.5)}}, {}, {800, 600});
  EXPECT_TRUE(map.zones_of({100, 100, 200, 250}).size() == 1);                    // feet at y 250 < 300
  EXPECT_TRUE(map.zones_of({100, 100, 200, 400}).empty());                        // head in, feet at 400
  EXPECT_EQ(map.zones_of({100, 100, 200, 300}), std::vector<std::string>{"top"}); // on the edge: in
  // A box standing on the frame's bottom edge is inside a zone reaching y = 1.
  const ZoneMap bottom({{"floor", rect(0, 0.5, 1, 1)}}, {}, {800, 600});
  EXPECT_EQ(bottom.zones_of({0, 500, 100, 600}), std::vector<std::string>{"floor"});
}

TEST(Zones, ZonesComeInConfigOrder) {
  const ZoneMap map({{"b", rect(0, 0, 1, 1)}, {"a", rect(0, 0, 0.5, 1)}, {"c", rect(0.6, 0, 1, 1)}}, {},
                    {100, 100});
  EXPECT_EQ(map.zones_of({10, 10, 20, 20}), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(map.zones_of({70, 10, 80, 20}), (std::vector<std::string>{"b", "c"}));
  // A triangle: its bounding box holds (90, 20) but the triangle does not.
  const ZoneMap tri({{"t", {{0, 0}, {1, 1}, {0, 1}}}}, {}, {100, 100});
  EXPECT_TRUE(tri.zones_of({85, 10, 95, 20}).empty());
  EXPECT_EQ(tri.zones_of({5, 80, 15, 90}), std::vector<std::string>{"t"});
}

TEST(Zones, MasksDropDetectionsStandingInThem) {
  const ZoneMap map({}, {rect(0, 0, 0.5, 1)}, {200, 100});
  std::vector<detect::Detection> dets{{{10, 10, 30, 50}, 0.9f, 0},   // bottom centre (20, 50): masked
                                      {{90, 10, 130, 50}, 0.8f, 0},  // (110, 50): not
                                      {{80, 10, 120, 50}, 0.7f, 1}}; // (100, 50): on the edge, masked
  map.remove_masked(dets);
  ASSERT_EQ(dets.size(), 1u);
  EXPECT_EQ(dets[0].score, 0.8f);
  // A mask over the whole frame drops everything.
  const ZoneMap all({}, {rect(0, 0, 1, 1)}, {200, 100});
  std::vector<detect::Detection> more{{{0, 0, 200, 100}, 0.9f, 0}, {{150, 20, 160, 30}, 0.5f, 0}};
  all.remove_masked(more);
  EXPECT_TRUE(more.empty());
  // No masks: nothing dropped; degenerate polygons hold nothing.
  const ZoneMap none({}, {{{0, 0}, {1, 1}}}, {200, 100});
  EXPECT_FALSE(none.masked({0, 0, 200, 100}));
}

} // namespace
} // namespace tilescope::pipeline
