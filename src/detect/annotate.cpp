#include "tilescope/detect/annotate.h"

#include <algorithm>
#include <cstdio>
#include <opencv2/imgproc.hpp>

namespace tilescope::detect {

cv::Scalar class_colour(int class_id) {
  // Ultralytics' 20-colour palette (hex RGB), so annotated output looks familiar.
  static constexpr unsigned kPalette[] = {
      0xFF3838, 0xFF9D97, 0xFF701F, 0xFFB21D, 0xCFD231, 0x48F90A, 0x92CC17, 0x3DDB86, 0x1A9334, 0x00D4BB,
      0x2C99A8, 0x00C2FF, 0x344593, 0x6473FF, 0x0018EC, 0x8438FF, 0x520085, 0xCB38FF, 0xFF95C8, 0xFF37C7};
  const unsigned rgb = kPalette[static_cast<unsigned>(std::max(class_id, 0)) % std::size(kPalette)];
  return cv::Scalar(rgb & 0xFF, (rgb >> 8) & 0xFF, (rgb >> 16) & 0xFF);
}

void draw_labelled_box(cv::Mat& image, const BoxXYXY& box_in_image, const cv::Scalar& colour,
                       const std::string& label) {
  const int thickness = std::max(1, static_cast<int>(std::lround((image.rows + image.cols) / 2.0 * 0.003)));
  const double font_scale = std::max(0.35, thickness / 3.0);
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const cv::Point p1(static_cast<int>(box_in_image.x1), static_cast<int>(box_in_image.y1));
  const cv::Point p2(static_cast<int>(box_in_image.x2), static_cast<int>(box_in_image.y2));
  cv::rectangle(image, p1, p2, colour, thickness, cv::LINE_AA);
  if (label.empty()) return;
  int baseline = 0;
  const cv::Size text = cv::getTextSize(label, font, font_scale, std::max(thickness - 1, 1), &baseline);
  // Label above the box, or inside it when the box touches the top edge.
  const bool above = p1.y - text.height - baseline >= 0;
  const cv::Point corner(p1.x, above ? p1.y - text.height - baseline : p1.y);
  cv::rectangle(image, corner, corner + cv::Point(text.width, text.height + baseline), colour, cv::FILLED);
  const double luma = 0.114 * colour[0] + 0.587 * colour[1] + 0.299 * colour[2];
  const cv::Scalar ink = luma > 150 ? cv::Scalar(0, 0, 0) : cv::Scalar(255, 255, 255);
  cv::putText(image, label, cv::Point(corner.x, corner.y + text.height), font, font_scale, ink,
              std::max(thickness - 1, 1), cv::LINE_AA);
}

void annotate(cv::Mat& image, const std::vector<Detection>& detections_in_image,
              const std::vector<std::string>& class_names) {
  for (const Detection& d : detections_in_image) {
    const std::string name = d.class_id >= 0 && static_cast<std::size_t>(d.class_id) < class_names.size()
                                 ? class_names[static_cast<std::size_t>(d.class_id)]
                                 : "class" + std::to_string(d.class_id);
    char label[160];
    std::snprintf(label, sizeof(label), "%s %.2f", name.c_str(), d.score);
    draw_labelled_box(image, d.box, class_colour(d.class_id), label);
  }
}

} // namespace tilescope::detect
