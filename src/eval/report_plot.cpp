// Line and scatter charts with OpenCV: enough for precision-recall curves and
// speed-accuracy plots in a report, readable at 100% zoom (Hershey fonts are
// thin, so text is drawn at least 0.5 scale with anti-aliasing).
#include "tilescope/core/error.h"
#include "tilescope/eval/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace tilescope::eval {
namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kTickScale = 0.5, kLabelScale = 0.6, kTitleScale = 0.75, kLegendScale = 0.55;
const cv::Scalar kBlack{0, 0, 0}, kGrid{225, 225, 225}, kText{40, 40, 40};

// matplotlib's tab10, BGR.
const cv::Scalar kPalette[] = {{180, 119, 31},  {14, 127, 255}, {44, 160, 44},   {40, 39, 214},
                               {189, 103, 148}, {75, 86, 140},  {194, 119, 227}, {127, 127, 127},
                               {34, 189, 188},  {207, 190, 23}};

struct Range {
  double lo, hi;
};

// Range of the data in one axis (+5% margin) unless the spec fixes it.
Range axis_range(double lo, double hi, const std::vector<PlotSeries>& series, bool is_x) {
  if (lo < hi) return {lo, hi};
  double mn = INFINITY, mx = -INFINITY;
  for (const PlotSeries& s : series)
    for (double v : is_x ? s.x : s.y)
      if (std::isfinite(v)) mn = std::min(mn, v), mx = std::max(mx, v);
  if (!(mn <= mx)) return {0, 1};
  if (mn == mx) return {mn - 0.5, mx + 0.5};
  const double pad = 0.05 * (mx - mn);
  // Keep a non-negative quantity's axis starting at 0 when the data is close to it.
  return {mn >= 0 && mn - pad < 0 ? 0 : mn - pad, mx + pad};
}

// A 1-2-5 step giving about `target` intervals.
double nice_step(double span, int target) {
  const double raw = span / target;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= m * p) return m * p;
  return 10 * p;
}

std::string tick_text(double v, double step) {
  const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", std::min(decimals, 6), std::fabs(v) < step * 1e-6 ? 0.0 : v);
  return buf;
}

cv::Size text_size(const std::string& s, double scale, int thickness = 1) {
  int baseline = 0;
  return cv::getTextSize(s, kFont, scale, thickness, &baseline);
}

void put(cv::Mat& img, const std::string& s, cv::Point bottom_left, double scale, const cv::Scalar& color,
         int thickness = 1) {
  cv::putText(img, s, bottom_left, kFont, scale, color, thickness, cv::LINE_AA);
}

// Text rotated 90° counter-clockwise, centred at `center`.
void put_vertical(cv::Mat& img, const std::string& s, cv::Point center, double scale) {
  const cv::Size ts = text_size(s, scale);
  cv::Mat strip(ts.height + 8, ts.width + 4, CV_8UC3, cv::Scalar(255, 255, 255));
  put(strip, s, {2, ts.height + 3}, scale, kText);
  cv::Mat rotated;
  cv::rotate(strip, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
  cv::Rect dst(center.x - rotated.cols / 2, center.y - rotated.rows / 2, rotated.cols, rotated.rows);
  dst &= cv::Rect(0, 0, img.cols, img.rows);
  if (dst.area() > 0) rotated(cv::Rect(0, 0, dst.width, dst.height)).copyTo(img(dst));
}

} // namespace

cv::Mat draw_plot(const PlotSpec& spec) {
  const int width = std::max(spec.width, 200), height = std::max(spec.height, 150);
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  const Range xr = axis_range(spec.x_min, spec.x_max, spec.series, true);
  const Range yr = axis_range(spec.y_min, spec.y_max, spec.series, false);
  const double x_step = nice_step(xr.hi - xr.lo, 8), y_step = nice_step(yr.hi - yr.lo, 8);

  // Left margin fits the widest y tick label.
  int y_tick_width = 0;
  for (double v = std::ceil(yr.lo / y_step - 1e-9) * y_step; v <= yr.hi + y_step * 1e-9; v += y_step)
    y_tick_width = std::max(y_tick_width, text_size(tick_text(v, y_step), kTickScale).width);
  const int left = 30 + y_tick_width + 16, right = 30, top = spec.title.empty() ? 24 : 56, bottom = 72;
  const cv::Rect area(left, top, width - left - right, height - top - bottom);
  auto px = [&](double x) { return area.x + (x - xr.lo) / (xr.hi - xr.lo) * area.width; };
  auto py = [&](double y) { return area.y + area.height - (y - yr.lo) / (yr.hi - yr.lo) * area.height; };

  // Grid and ticks.
  for (double v = std::ceil(xr.lo / x_step - 1e-9) * x_step; v <= xr.hi + x_step * 1e-9; v += x_step) {
    const int x = static_cast<int>(std::lround(px(v)));
    cv::line(img, {x, area.y}, {x, area.y + area.height}, kGrid, 1);
    cv::line(img, {x, area.y + area.height}, {x, area.y + area.height + 5}, kBlack, 1);
    const std::string t = tick_text(v, x_step);
    const cv::Size ts = text_size(t, kTickScale);
    put(img, t, {x - ts.width / 2, area.y + area.height + 10 + ts.height}, kTickScale, kText);
  }
  for (double v = std::ceil(yr.lo / y_step - 1e-9) * y_step; v <= yr.hi + y_step * 1e-9; v += y_step) {
    const int y = static_cast<int>(std::lround(py(v)));
    cv::line(img, {area.x, y}, {area.x + area.width, y}, kGrid, 1);
    cv::line(img, {area.x - 5, y}, {area.x, y}, kBlack, 1);
    const std::string t = tick_text(v, y_step);
    const cv::Size ts = text_size(t, kTickScale);
    put(img, t, {area.x - 9 - ts.width, y + ts.height / 2}, kTickScale, kText);
  }
  cv::rectangle(img, area, kBlack, 1);

  // Labels and title.
  if (!spec.x_label.empty()) {
    const cv::Size ts = text_size(spec.x_label, kLabelScale);
    put(img, spec.x_label, {area.x + (area.width - ts.width) / 2, height - 18}, kLabelScale, kText);
  }
  if (!spec.y_label.empty()) put_vertical(img, spec.y_label, {16, area.y + area.height / 2}, kLabelScale);
  if (!spec.title.empty()) {
    const cv::Size ts = text_size(spec.title, kTitleScale, 2);
    put(img, spec.title, {(width - ts.width) / 2, 14 + ts.height}, kTitleScale, kBlack, 2);
  }

  // Series, clipped to the plot area by drawing into a view of it.
  std::vector<cv::Scalar> colors;
  std::size_t next_color = 0;
  // The view reaches 2 px past the frame so a line on an axis (precision 0) shows.
  const cv::Rect clip =
      cv::Rect(area.x - 2, area.y - 2, area.width + 5, area.height + 5) & cv::Rect(0, 0, img.cols, img.rows);
  cv::Mat plot = img(clip);
  for (const PlotSeries& s : spec.series) {
    const cv::Scalar color = s.color[0] < 0 ? kPalette[next_color++ % std::size(kPalette)] : s.color;
    colors.push_back(color);
    std::vector<cv::Point> pts;
    const std::size_t n = std::min(s.x.size(), s.y.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      // Sub-pixel positions (4 fractional bits) keep curves smooth.
      pts.emplace_back(static_cast<int>(std::lround((px(s.x[i]) - clip.x) * 16)),
                       static_cast<int>(std::lround((py(s.y[i]) - clip.y) * 16)));
    }
    if (s.lines && pts.size() > 1) cv::polylines(plot, pts, false, color, 2, cv::LINE_AA, 4);
    for (std::size_t i = 0; i < pts.size(); ++i) {
      if (s.markers) cv::circle(plot, pts[i], 5 * 16, color, cv::FILLED, cv::LINE_AA, 4);
      if (i < s.point_labels.size() && !s.point_labels[i].empty())
        put(plot, s.point_labels[i], {pts[i].x / 16 + 8, pts[i].y / 16 - 6}, 0.45, kText);
    }
  }

  // Legend.
  std::vector<std::size_t> shown;
  int legend_w = 0;
  for (std::size_t i = 0; i < spec.series.size(); ++i)
    if (!spec.series[i].label.empty()) {
      shown.push_back(i);
      legend_w = std::max(legend_w, text_size(spec.series[i].label, kLegendScale).width);
    }
  if (!shown.empty()) {
    const int row = 24, box_w = legend_w + 60, box_h = static_cast<int>(shown.size()) * row + 10;
    const bool right_side =
        spec.legend == LegendCorner::kTopRight || spec.legend == LegendCorner::kBottomRight;
    const bool top_side = spec.legend == LegendCorner::kTopRight || spec.legend == LegendCorner::kTopLeft;
    const cv::Rect box(right_side ? area.x + area.width - box_w - 10 : area.x + 10,
                       top_side ? area.y + 10 : area.y + area.height - box_h - 10, box_w, box_h);
    // Translucent, so a curve under the legend stays visible.
    const cv::Rect clipped = box & cv::Rect(0, 0, img.cols, img.rows);
    cv::Mat under = img(clipped);
    cv::addWeighted(under, 0.35, cv::Mat(under.size(), under.type(), cv::Scalar(255, 255, 255)), 0.65, 0,
                    under);
    cv::rectangle(img, box, cv::Scalar(160, 160, 160), 1);
    for (std::size_t j = 0; j < shown.size(); ++j) {
      const PlotSeries& s = spec.series[shown[j]];
      const int y = box.y + 5 + static_cast<int>(j) * row + row / 2;
      if (s.lines) cv::line(img, {box.x + 10, y}, {box.x + 40, y}, colors[shown[j]], 2, cv::LINE_AA);
      if (s.markers) cv::circle(img, {box.x + 25, y}, 5, colors[shown[j]], cv::FILLED, cv::LINE_AA);
      put(img, s.label, {box.x + 50, y + 6}, kLegendScale, kText);
    }
  }
  return img;
}

void save_plot(const std::filesystem::path& png, const PlotSpec& spec) {
  const cv::Mat img = draw_plot(spec);
  bool ok = false;
  try {
    ok = cv::imwrite(png.string(), img);
  } catch (const cv::Exception& e) {
    throw Error(png.string() + ": cannot write the chart: " + e.what());
  }
  if (!ok) throw Error(png.string() + ": cannot write the chart");
}

} // namespace tilescope::eval
