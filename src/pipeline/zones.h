// A camera's zones and masks in one frame size's pixels.
//
// Where an object is: the bottom centre of its box, the point where a person or a
// vehicle touches the ground (Frigate's rule): a person standing in front of a
// doorway zone, whose head overlaps it, is not in it. Masks drop detections whose
// bottom centre lies inside one; zones an object is in are those holding that point.
// A point on a polygon's edge is inside.
#pragma once

#include "tilescope/config/config.h"
#include "tilescope/detect/detection.h"

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace tilescope::pipeline {

using PixelPolygon = std::vector<cv::Point2f>;

// Normalised polygon points ([0, 1], config.h) to pixels of a `frame`-sized image.
PixelPolygon to_pixels(const config::Polygon& polygon, cv::Size frame);
cv::Point2f bottom_centre(const detect::BoxXYXY& box);
bool polygon_contains(const PixelPolygon& polygon, cv::Point2f point);

class ZoneMap {
public:
  ZoneMap() = default;
  ZoneMap(const std::vector<config::Zone>& zones, const std::vector<config::Polygon>& masks, cv::Size frame);

  cv::Size frame_size() const { return frame_; }
  bool masked(const detect::BoxXYXY& box) const; // bottom centre inside a mask
  // Removes the detections `masked` says so, keeping the order of the rest.
  void remove_masked(std::vector<detect::Detection>& detections) const;
  // Names of the zones holding the box's bottom centre, in the config's order.
  std::vector<std::string> zones_of(const detect::BoxXYXY& box) const;

  struct NamedPolygon {
    std::string name;
    PixelPolygon points;
  };
  const std::vector<NamedPolygon>& zones() const { return zones_; }
  const std::vector<PixelPolygon>& masks() const { return masks_; }

private:
  cv::Size frame_;
  std::vector<NamedPolygon> zones_;
  std::vector<PixelPolygon> masks_;
};

} // namespace tilescope::pipeline
