// Live-view and snapshot drawing (annotate_frame.h).
#include "annotate_frame.h"

#include "tilescope/core/error.h"
#include "tilescope/detect/annotate.h"

#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace tilescope::pipeline {

std::string object_label(const std::string& label, int track_id, float score) {
  char text[160];
  if (track_id > 0) {
    std::snprintf(text, sizeof text, "%s #%d %.2f", label.c_str(), track_id, score);
  } else {
    std::snprintf(text, sizeof text, "%s %.2f", label.c_str(), score);
  }
  return text;
}

void draw_objects(cv::Mat& image, const std::vector<TrackedObject>& objects) {
  for (const TrackedObject& o : objects) {
    detect::draw_labelled_box(image, o.box, detect::class_colour(o.class_id),
                              object_label(o.label, o.track_id, o.score));
  }
}

void draw_tiles(cv::Mat& image, const std::vector<tiling::TileRect>& tiles) {
  // Grey, one pixel: it must not be mistaken for a detection.
  for (const tiling::TileRect& t : tiles) {
    cv::rectangle(image, cv::Point(t.x1, t.y1), cv::Point(t.x2 - 1, t.y2 - 1), cv::Scalar(160, 160, 160), 1);
  }
}

std::vector<unsigned char> encode_jpeg(const cv::Mat& image_bgr, int quality) {
  std::vector<unsigned char> jpeg;
  if (image_bgr.empty() || !cv::imencode(".jpg", image_bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, quality})) {
    throw Error("cannot encode a " + std::to_string(image_bgr.cols) + "x" + std::to_string(image_bgr.rows) +
                " frame as JPEG");
  }
  return jpeg;
}

} // namespace tilescope::pipeline
