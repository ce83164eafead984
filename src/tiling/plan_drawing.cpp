#include "tilescope/tiling/plan_drawing.h"

#include "tilescope/core/error.h"

#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <string>

namespace tilescope::tiling {
namespace {

constexpr double kFillAlpha = 0.18;

// Hues spread by the golden angle: neighbours in the plan's order differ strongly.
cv::Scalar tile_colour(std::size_t i) {
  const double hue = std::fmod(static_cast<double>(i) * 137.508, 360.0);
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue / 2.0, 200, 255)), bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  const cv::Vec3b c = bgr.at<cv::Vec3b>(0, 0);
  return {double(c[0]), double(c[1]), double(c[2])};
}

} // namespace

cv::Mat draw_plan(const cv::Mat& frame_bgr, cv::Size frame_size, const SlicePlan& plan) {
  if (frame_size.width <= 0 || frame_size.height <= 0) throw Error("draw_plan: empty frame size");
  cv::Mat image;
  if (frame_bgr.empty()) {
    image = cv::Mat(frame_size, CV_8UC3, cv::Scalar(114, 114, 114));
  } else {
    if (frame_bgr.type() != CV_8UC3) throw Error("draw_plan: the frame must be 8-bit BGR");
    if (frame_bgr.size() == frame_size) {
      image = frame_bgr.clone();
    } else {
      cv::resize(frame_bgr, image, frame_size, 0, 0, cv::INTER_AREA);
    }
  }
  // Line width and font follow the frame, so 4K pictures stay legible when shrunk.
  const double unit = std::max(1.0, std::max(frame_size.width, frame_size.height) / 960.0);
  const int thickness = static_cast<int>(std::lround(2 * unit));
  const cv::Rect bounds({0, 0}, frame_size);
  for (std::size_t i = 0; i < plan.tiles.size(); ++i) {
    const cv::Rect r = plan.tiles[i].rect() & bounds;
    if (r.empty()) continue;
    cv::Mat roi = image(r);
    cv::addWeighted(roi, 1.0 - kFillAlpha, cv::Mat(r.size(), CV_8UC3, tile_colour(i)), kFillAlpha, 0.0, roi);
  }
  for (std::size_t i = 0; i < plan.tiles.size(); ++i) {
    const cv::Rect r = plan.tiles[i].rect() & bounds;
    const int inset = thickness / 2;
    cv::rectangle(image, {r.x + inset, r.y + inset}, {r.x + r.width - 1 - inset, r.y + r.height - 1 - inset},
                  tile_colour(i), thickness);
    cv::putText(image, std::to_string(i + 1), {r.x + 6 * thickness, r.y + static_cast<int>(22 * unit)},
                cv::FONT_HERSHEY_SIMPLEX, 0.7 * unit, tile_colour(i), thickness);
  }
  // snprintf rather than string +: GCC 12 warns falsely (-Wrestrict, bug 105329) on
  // chained std::string concatenation at -O2.
  char caption[96];
  const int tw = plan.tiles.empty() ? 0 : plan.tiles[0].width(),
            th = plan.tiles.empty() ? 0 : plan.tiles[0].height();
  if (plan.tiles.empty()) {
    std::snprintf(caption, sizeof caption, "%s", plan.full_frame ? "full frame only" : "no tiles");
  } else {
    std::snprintf(caption, sizeof caption, "%zu tile%s %dx%d%s", plan.tiles.size(),
                  plan.tiles.size() == 1 ? "" : "s", tw, th, plan.full_frame ? " + full frame" : "");
  }
  const double scale = 0.8 * unit;
  int baseline = 0;
  const cv::Size text = cv::getTextSize(caption, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
  const cv::Point at{static_cast<int>(10 * unit), frame_size.height - static_cast<int>(10 * unit)};
  cv::rectangle(image, {at.x - 4, at.y - text.height - 6}, {at.x + text.width + 4, at.y + baseline + 2},
                cv::Scalar(0, 0, 0), cv::FILLED);
  cv::putText(image, caption, at, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255), thickness);
  return image;
}

} // namespace tilescope::tiling
