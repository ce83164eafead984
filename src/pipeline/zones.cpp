// Zones and masks in pixels (zones.h).
#include "zones.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace tilescope::pipeline {

PixelPolygon to_pixels(const config::Polygon& polygon, cv::Size frame) {
  PixelPolygon out;
  out.reserve(polygon.size());
  for (const config::Point& p : polygon) {
    out.emplace_back(static_cast<float>(p.x * frame.width), static_cast<float>(p.y * frame.height));
  }
  return out;
}

cv::Point2f bottom_centre(const detect::BoxXYXY& box) { return {0.5f * (box.x1 + box.x2), box.y2}; }

bool polygon_contains(const PixelPolygon& polygon, cv::Point2f point) {
  if (polygon.size() < 3) return false;
  // >= 0: inside or on an edge. A normalised polygon reaching 1.0 ends on the frame's
  // far edge, where a box touching the bottom of the frame has its bottom centre.
  return cv::pointPolygonTest(polygon, point, false) >= 0;
}

ZoneMap::ZoneMap(const std::vector<config::Zone>& zones, const std::vector<config::Polygon>& masks,
                 cv::Size frame)
    : frame_(frame) {
  for (const config::Zone& z : zones)
    zones_.push_back({z.name, to_pixels(z.points, frame)});
  for (const config::Polygon& m : masks)
    masks_.push_back(to_pixels(m, frame));
}

bool ZoneMap::masked(const detect::BoxXYXY& box) const {
  const cv::Point2f p = bottom_centre(box);
  return std::any_of(masks_.begin(), masks_.end(),
                     [&p](const PixelPolygon& m) { return polygon_contains(m, p); });
}

void ZoneMap::remove_masked(std::vector<detect::Detection>& detections) const {
  if (masks_.empty()) return;
  std::erase_if(detections, [this](const detect::Detection& d) { return masked(d.box); });
}

std::vector<std::string> ZoneMap::zones_of(const detect::BoxXYXY& box) const {
  std::vector<std::string> names;
  const cv::Point2f p = bottom_centre(box);
  for (const NamedPolygon& z : zones_)
    if (polygon_contains(z.points, p)) names.push_back(z.name);
  return names;
}

} // namespace tilescope::pipeline
