#include "tilescope/track/motion.h"

#include "tilescope/core/error.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <opencv2/imgproc.hpp>
#include <string>

namespace tilescope::track {
namespace {

void check_options(const MotionOptions& o) {
  auto fail = [](const std::string& what) { throw Error("MotionDetector: " + what); };
  if (o.analysis_width < 8) fail("analysis_width must be >= 8, got " + std::to_string(o.analysis_width));
  if (o.blur_kernel < 1 || o.blur_kernel % 2 == 0)
    fail("blur_kernel must be odd and >= 1, got " + std::to_string(o.blur_kernel));
  if (!(o.background_alpha > 0 && o.background_alpha <= 1))
    fail("background_alpha must be in (0, 1], got " + std::to_string(o.background_alpha));
  if (o.threshold < 0 || o.threshold >= 255)
    fail("threshold must be in [0, 255), got " + std::to_string(o.threshold));
  if (o.dilate_iterations < 0)
    fail("dilate_iterations must be >= 0, got " + std::to_string(o.dilate_iterations));
  if (!(o.min_area_fraction >= 0 && o.min_area_fraction <= 1))
    fail("min_area_fraction must be in [0, 1], got " + std::to_string(o.min_area_fraction));
  if (!(o.global_change_fraction > 0 && o.global_change_fraction <= 1))
    fail("global_change_fraction must be in (0, 1], got " + std::to_string(o.global_change_fraction));
  if (o.change_threshold < 0 || o.change_threshold >= 255)
    fail("change_threshold must be in [0, 255), got " + std::to_string(o.change_threshold));
  if (!(o.min_changed_fraction >= 0 && o.min_changed_fraction <= 1))
    fail("min_changed_fraction must be in [0, 1], got " + std::to_string(o.min_changed_fraction));
}

// Longer side = analysis_width, aspect kept; frames already that small are analysed as is.
cv::Size analysis_size_for(cv::Size frame, int analysis_width) {
  const int longer = std::max(frame.width, frame.height);
  if (longer <= analysis_width) return frame;
  const double scale = static_cast<double>(analysis_width) / longer;
  return {std::max(1, static_cast<int>(std::lround(frame.width * scale))),
          std::max(1, static_cast<int>(std::lround(frame.height * scale)))};
}

} // namespace

MotionDetector::MotionDetector(MotionOptions options) : options_(options) { check_options(options_); }

void MotionDetector::reset() {
  background_.release();
  previous_.release();
  frame_size_ = {};
  analysis_size_ = {};
}

cv::Mat MotionDetector::prepare(const cv::Mat& frame) const {
  cv::Mat small;
  if (frame.size() == analysis_size_)
    small = frame;
  else
    cv::resize(frame, small, analysis_size_, 0, 0, cv::INTER_AREA); // area averaging also cuts noise
  cv::Mat grey;
  if (small.channels() == 3)
    cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
  else
    grey = small;
  cv::Mat grey_f;
  grey.convertTo(grey_f, CV_32F);
  if (options_.blur_kernel > 1)
    cv::GaussianBlur(grey_f, grey_f, {options_.blur_kernel, options_.blur_kernel}, 0);
  return grey_f;
}

MotionResult MotionDetector::update(const cv::Mat& frame) {
  if (frame.empty()) throw Error("MotionDetector: empty frame");
  if (frame.type() != CV_8UC3 && frame.type() != CV_8UC1)
    throw Error("MotionDetector: frame must be 8-bit BGR (or 8-bit grey), got OpenCV type " +
                std::to_string(frame.type()));

  MotionResult result;
  if (background_.empty() || frame.size() != frame_size_) {
    frame_size_ = frame.size();
    analysis_size_ = analysis_size_for(frame_size_, options_.analysis_width);
    background_ = prepare(frame);
    if (options_.change_threshold > 0) previous_ = background_.clone(); // the ghost filter's only
    result.initialised = true;
    return result;
  }

  const cv::Mat current = prepare(frame);
  cv::Mat diff;
  cv::absdiff(current, background_, diff);
  cv::Mat mask;
  cv::threshold(diff, mask, options_.threshold, 255, cv::THRESH_BINARY);
  mask.convertTo(mask, CV_8U);
  const double analysed_pixels = static_cast<double>(analysis_size_.area());
  result.moving_fraction = cv::countNonZero(mask) / analysed_pixels;

  if (result.moving_fraction > options_.global_change_fraction) {
    // Averaging towards the new scene would report motion everywhere for dozens of frames.
    background_ = current;
    if (options_.change_threshold > 0) previous_ = current.clone();
    result.global_change = true;
    return result;
  }
  cv::accumulateWeighted(current, background_, options_.background_alpha);
  cv::Mat changed; // differs from the previous frame
  if (options_.change_threshold > 0) {
    cv::absdiff(current, previous_, changed);
    cv::threshold(changed, changed, options_.change_threshold, 255, cv::THRESH_BINARY);
    changed.convertTo(changed, CV_8U);
    current.copyTo(previous_);
  }

  if (options_.dilate_iterations > 0)
    cv::dilate(mask, mask, cv::Mat(), {-1, -1}, options_.dilate_iterations); // 3x3 kernel
  cv::Mat labels, stats, centroids;
  const int count = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  const double min_area = options_.min_area_fraction * analysed_pixels;
  // Analysed pixel i covers original [i * sx, (i + 1) * sx).
  const double sx = static_cast<double>(frame_size_.width) / analysis_size_.width;
  const double sy = static_cast<double>(frame_size_.height) / analysis_size_.height;
  const auto fw = static_cast<float>(frame_size_.width);
  const auto fh = static_cast<float>(frame_size_.height);
  std::vector<int> changed_in(static_cast<std::size_t>(count), 0);
  if (!changed.empty()) {
    for (int y = 0; y < labels.rows; ++y) {
      const int* label_row = labels.ptr<int>(y);
      const std::uint8_t* changed_row = changed.ptr<std::uint8_t>(y);
      for (int x = 0; x < labels.cols; ++x)
        if (changed_row[x]) changed_in[static_cast<std::size_t>(label_row[x])]++;
    }
  }
  for (int label = 1; label < count; ++label) { // label 0 is the still background
    const int area = stats.at<int>(label, cv::CC_STAT_AREA);
    if (area < min_area) continue;
    if (!changed.empty() &&
        changed_in[static_cast<std::size_t>(label)] < options_.min_changed_fraction * area)
      continue;
    const int x = stats.at<int>(label, cv::CC_STAT_LEFT);
    const int y = stats.at<int>(label, cv::CC_STAT_TOP);
    const int w = stats.at<int>(label, cv::CC_STAT_WIDTH);
    const int h = stats.at<int>(label, cv::CC_STAT_HEIGHT);
    result.regions.push_back({std::clamp(static_cast<float>(x * sx), 0.0f, fw),
                              std::clamp(static_cast<float>(y * sy), 0.0f, fh),
                              std::clamp(static_cast<float>((x + w) * sx), 0.0f, fw),
                              std::clamp(static_cast<float>((y + h) * sy), 0.0f, fh)});
  }
  std::sort(result.regions.begin(), result.regions.end(),
            [](const detect::BoxXYXY& a, const detect::BoxXYXY& b) { return a.area() > b.area(); });
  return result;
}

} // namespace tilescope::track
