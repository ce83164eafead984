// HTML evaluation reports and the charts in them, drawn with OpenCV (no Python,
// no JavaScript): a folder with index.html and PNGs referenced by relative paths,
// so it can be zipped, copied or opened from a CI artifact as is.
//
//   ReportOptions opts;
//   opts.title = "tilescope eval";
//   opts.extra_sections.push_back({"Speed vs accuracy", "<p>...</p>", {"sweep.png"}});
//   write_eval_report("runs/eval", evaluation, opts);   // runs/eval/index.html
//
// Report writing throws tilescope::Error when a file cannot be written. Not
// thread-safe for the same folder.
#pragma once

#include "tilescope/core/html_escape.h"
#include "tilescope/eval/coco.h"

#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace tilescope::eval {

// --- charts ------------------------------------------------------------------

// One curve or point set of a chart.
struct PlotSeries {
  std::string label; // legend text; empty: not in the legend
  std::vector<double> x, y;
  cv::Scalar color{-1, -1, -1};          // BGR; negative: the next colour of the palette
  bool lines = true;                     // join the points
  bool markers = false;                  // draw a dot at each point
  std::vector<std::string> point_labels; // optional text beside each point (e.g. "640 + full")
};

enum class LegendCorner { kTopRight, kBottomLeft, kBottomRight, kTopLeft };

struct PlotSpec {
  std::string title, x_label, y_label;
  // Axis ranges; when min >= max the range is fitted to the data (with a margin).
  double x_min = 0, x_max = 0, y_min = 0, y_max = 0;
  int width = 900, height = 640; // pixels
  LegendCorner legend = LegendCorner::kTopRight;
  std::vector<PlotSeries> series;
};

// Renders the chart (8-bit BGR, white background): axes with ticks and grid,
// axis labels (y rotated), title, legend. Points outside the ranges are clipped.
cv::Mat draw_plot(const PlotSpec& spec);
// draw_plot() written as PNG; throws tilescope::Error when it cannot be written.
void save_plot(const std::filesystem::path& png, const PlotSpec& spec);

// Precision-recall curves of an evaluation (interpolated at COCO's 101 recall
// points, maxDets 100, averaged over categories), recall on x: area all at IoU
// 0.50, 0.75 and the mean over 0.50:0.95, each labelled with its AP.
PlotSpec precision_recall_plot(const CocoEvaluation& ev, const std::string& title = "Precision-recall");
// Same, mean over 0.50:0.95, one curve per area range (all, small, medium, large);
// ranges without ground truth are left out.
PlotSpec precision_recall_by_area_plot(const CocoEvaluation& ev,
                                       const std::string& title = "Precision-recall by object size");

// --- reports -----------------------------------------------------------------

// A block of the page. `html` is inserted as is (the caller escapes its own text,
// see html_escape); each image is shown below it, copied into the report folder
// (as <name>, made unique) when it is not already inside it.
struct ReportSection {
  std::string title;
  std::string html;
  std::vector<std::filesystem::path> images;
};

struct ReportOptions {
  std::string title = "tilescope evaluation";
  std::vector<std::pair<std::string, std::string>> facts; // "Ground truth" -> "instances.json", ...
  std::vector<ReportSection> extra_sections;              // after the COCO sections
};

// Escapes &, <, >, " and ' for HTML text and attribute values (tilescope/core/html_escape.h).
using tilescope::html_escape;

// The COCO sections of a report: summary table (the 12 numbers and pycocotools'
// text), precision-recall charts (written to dir/<file_prefix>pr.png and
// dir/<file_prefix>pr_by_area.png), per-category table. `dir` must exist. Use
// different prefixes for several evaluations in one report.
std::vector<ReportSection> coco_report_sections(const CocoEvaluation& ev, const std::filesystem::path& dir,
                                                const std::string& file_prefix = "");

// Writes dir/index.html from the sections (creating dir); returns its path.
std::filesystem::path write_html_report(const std::filesystem::path& dir, const std::string& title,
                                        const std::vector<std::pair<std::string, std::string>>& facts,
                                        const std::vector<ReportSection>& sections);

// coco_report_sections() followed by the caller's sections, as dir/index.html.
std::filesystem::path write_eval_report(const std::filesystem::path& dir, const CocoEvaluation& ev,
                                        const ReportOptions& options = {});

} // namespace tilescope::eval
