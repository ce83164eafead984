// The HTML report: one static page, inline CSS, images by relative path.
#include "tilescope/eval/report.h"

#include "tilescope/core/error.h"

#include <cstdio>
#include <fstream>
#include <set>

namespace tilescope::eval {
namespace {

namespace fs = std::filesystem;

std::string fixed3(double v) {
  if (v <= -1)
    return "<span class=\"na\" title=\"undefined: no ground truth in this setting\">&ndash;</span>";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string ap_label(const char* what, double ap) {
  char buf[96];
  if (ap <= -1) {
    std::snprintf(buf, sizeof buf, "%s", what);
  } else {
    std::snprintf(buf, sizeof buf, "%s (AP %.3f)", what, ap);
  }
  return buf;
}

// A curve over COCO's 101 recall points; empty when the setting has no ground truth.
PlotSeries curve_series(const std::vector<double>& precision, const std::string& label) {
  PlotSeries s;
  s.label = label;
  if (precision.empty() || precision[0] <= -1) return s;
  for (int r = 0; r < CocoEvaluation::kNumRecallThresholds; ++r) {
    s.x.push_back(CocoEvaluation::recall_threshold(r));
    s.y.push_back(precision[static_cast<std::size_t>(r)]);
  }
  return s;
}

PlotSpec pr_axes(const std::string& title) {
  PlotSpec spec;
  spec.title = title;
  spec.x_label = "recall";
  spec.y_label = "precision (interpolated)";
  spec.x_min = 0, spec.x_max = 1, spec.y_min = 0, spec.y_max = 1.02;
  spec.legend = LegendCorner::kBottomLeft;
  return spec;
}

// True when `p` is `dir` or below it (after resolving . and ..).
bool inside(const fs::path& p, const fs::path& dir) {
  const fs::path rel = fs::weakly_canonical(p).lexically_relative(fs::weakly_canonical(dir));
  return !rel.empty() && *rel.begin() != "..";
}

// The image's path relative to the report folder, copying it there if needed.
std::string place_image(const fs::path& image, const fs::path& dir, std::set<std::string>& used) {
  if (inside(image, dir)) {
    return fs::weakly_canonical(image).lexically_relative(fs::weakly_canonical(dir)).generic_string();
  }
  if (!fs::is_regular_file(image)) throw Error(image.string() + ": report image not found");
  std::string name = image.filename().string();
  for (int i = 2; used.count(name) || fs::exists(dir / name); ++i)
    name = image.stem().string() + "_" + std::to_string(i) + image.extension().string();
  std::error_code ec;
  fs::copy_file(image, dir / name, ec);
  if (ec) throw Error((dir / name).string() + ": cannot copy report image: " + ec.message());
  used.insert(name);
  return name;
}

constexpr const char* kStyle = R"(
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .6em 0; } td, th { padding: .25em .8em; border-bottom: 1px solid #eee; }
th { text-align: left; background: #f6f6f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.facts td:first-child { color: #666; } .na { color: #999; } img { max-width: 100%; border: 1px solid #eee; }
pre { background: #f6f6f6; padding: .8em; overflow-x: auto; font-size: 13px; }
)";

} // namespace

PlotSpec precision_recall_plot(const CocoEvaluation& ev, const std::string& title) {
  PlotSpec spec = pr_axes(title);
  const CocoSummary& s = ev.summary();
  const std::pair<int, std::string> curves[] = {
      {-1, ap_label("IoU 0.50:0.95", s.ap)},
      {CocoEvaluation::kIou50, ap_label("IoU 0.50", s.ap50)},
      {CocoEvaluation::kIou75, ap_label("IoU 0.75", s.ap75)},
  };
  for (const auto& [t, label] : curves) {
    PlotSeries series = curve_series(ev.precision_curve(t), label);
    if (!series.x.empty()) spec.series.push_back(std::move(series));
  }
  return spec;
}

PlotSpec precision_recall_by_area_plot(const CocoEvaluation& ev, const std::string& title) {
  PlotSpec spec = pr_axes(title + " (IoU 0.50:0.95)");
  const CocoSummary& s = ev.summary();
  const std::pair<AreaRange, std::string> curves[] = {
      {AreaRange::kAll, ap_label("all", s.ap)},
      {AreaRange::kSmall, ap_label("small < 32^2", s.ap_small)}, // Hershey fonts have no superscripts
      {AreaRange::kMedium, ap_label("medium 32^2..96^2", s.ap_medium)},
      {AreaRange::kLarge, ap_label("large > 96^2", s.ap_large)},
  };
  for (const auto& [a, label] : curves) {
    PlotSeries series = curve_series(ev.precision_curve(-1, a), label);
    if (!series.x.empty()) spec.series.push_back(std::move(series));
  }
  return spec;
}

std::vector<ReportSection> coco_report_sections(const CocoEvaluation& ev, const fs::path& dir,
                                                const std::string& file_prefix) {
  std::vector<ReportSection> sections;

  ReportSection summary{"COCO metrics", "", {}};
  std::string& h = summary.html;
  h += "<table><tr><th>metric</th><th>IoU</th><th>area</th><th>maxDets</th><th>value</th></tr>\n";
  for (const SummaryMetric& m : summary_metrics(ev.summary())) {
    h += "<tr><td>" + m.key + "</td><td>" + m.iou + "</td><td>" + CocoEvaluation::area_label(m.area) +
         "</td><td class=num>" + std::to_string(m.max_dets) + "</td><td class=num>" + fixed3(m.value) +
         "</td></tr>\n";
  }
  h += "</table>\n<p>Small objects have an area below 32&sup2; pixels, large above 96&sup2; (COCO's ranges; "
       "ground truth uses its <code>area</code> field, detections their box). &ndash; means undefined: no "
       "ground truth in that setting.</p>\n<pre>" +
       html_escape(format_summary_text(ev.summary())) + "</pre>\n";
  sections.push_back(std::move(summary));

  const fs::path pr = dir / (file_prefix + "pr.png"), by_area = dir / (file_prefix + "pr_by_area.png");
  save_plot(pr, precision_recall_plot(ev));
  save_plot(by_area, precision_recall_by_area_plot(ev));
  sections.push_back({"Precision-recall curves",
                      "<p>Precision interpolated at COCO's 101 recall points (maxDets 100), averaged over "
                      "the categories with ground truth.</p>\n",
                      {pr, by_area}});

  ReportSection cats{"Per category", "", {}};
  cats.html = "<table><tr><th>id</th><th>category</th><th>ground truth</th><th>detections</th><th>AP</th>"
              "<th>AP50</th><th>AP75</th><th>AR100</th></tr>\n";
  for (const CategoryResult& c : ev.per_category()) {
    cats.html += "<tr><td class=num>" + std::to_string(c.id) + "</td><td>" + html_escape(c.name) +
                 "</td><td class=num>" + std::to_string(c.num_gt) + "</td><td class=num>" +
                 std::to_string(c.num_detections) + "</td><td class=num>" + fixed3(c.ap) +
                 "</td><td class=num>" + fixed3(c.ap50) + "</td><td class=num>" + fixed3(c.ap75) +
                 "</td><td class=num>" + fixed3(c.ar100) + "</td></tr>\n";
  }
  cats.html += "</table>\n";
  if (ev.num_detections_unknown_category() > 0) {
    cats.html += "<p>" + std::to_string(ev.num_detections_unknown_category()) +
                 " detections of categories not in the ground truth were skipped.</p>\n";
  }
  sections.push_back(std::move(cats));
  return sections;
}

fs::path write_html_report(const fs::path& dir, const std::string& title,
                           const std::vector<std::pair<std::string, std::string>>& facts,
                           const std::vector<ReportSection>& sections) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(dir.string() + ": cannot create the report folder: " + ec.message());
  std::set<std::string> used;
  std::string page = "<!doctype html>\n<html lang=en><head><meta charset=utf-8>\n<title>" +
                     html_escape(title) + "</title>\n<style>" + kStyle + "</style></head>\n<body>\n<h1>" +
                     html_escape(title) + "</h1>\n";
  if (!facts.empty()) {
    page += "<table class=facts>\n";
    for (const auto& [k, v] : facts)
      page += "<tr><td>" + html_escape(k) + "</td><td>" + html_escape(v) + "</td></tr>\n";
    page += "</table>\n";
  }
  for (const ReportSection& s : sections) {
    page += "<h2>" + html_escape(s.title) + "</h2>\n" + s.html;
    for (const fs::path& image : s.images) {
      const std::string href = html_escape(place_image(image, dir, used));
      page += "<p><img src=\"" + href + "\" alt=\"" + html_escape(s.title) + "\"></p>\n";
    }
  }
  page += "</body></html>\n";
  const fs::path index = dir / "index.html";
  std::ofstream out(index, std::ios::binary);
  if (!(out << page) || !out.flush()) throw Error(index.string() + ": cannot write the report");
  return index;
}

fs::path write_eval_report(const fs::path& dir, const CocoEvaluation& ev, const ReportOptions& options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(dir.string() + ": cannot create the report folder: " + ec.message());
  std::vector<ReportSection> sections = coco_report_sections(ev, dir);
  sections.insert(sections.end(), options.extra_sections.begin(), options.extra_sections.end());
  auto facts = options.facts;
  facts.emplace_back("Images", std::to_string(ev.num_images()));
  facts.emplace_back("Categories", std::to_string(ev.num_categories()));
  return write_html_report(dir, options.title, facts, sections);
}

} // namespace tilescope::eval
