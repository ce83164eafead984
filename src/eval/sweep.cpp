#include "tilescope/eval/sweep.h"

#include "tilescope/core/error.h"
#include "tilescope/eval/report.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

namespace tilescope::eval {
namespace {

namespace fs = std::filesystem;

// Detector class id -> ground-truth category id (by name), -1 where none.
std::vector<std::int64_t> category_map(const std::vector<std::string>& class_names,
                                       const CocoGroundTruth& gt) {
  std::vector<std::int64_t> map(class_names.size(), -1);
  bool any = false;
  for (std::size_t c = 0; c < class_names.size(); ++c) {
    for (const CocoCategory& category : gt.categories) {
      if (category.name == class_names[c]) {
        map[c] = category.id;
        any = true;
      }
    }
  }
  if (!any) {
    std::string names;
    for (const CocoCategory& category : gt.categories)
      names += (names.empty() ? "" : ", ") + category.name;
    throw Error(gt.source + ": no category (" + names + ") is a class of the model");
  }
  return map;
}

std::string percent(double v) {
  if (v < 0) return "-";
  char text[16];
  std::snprintf(text, sizeof text, "%.1f", 100 * v);
  return text;
}

} // namespace

BenchmarkRun run_benchmark(tiling::TiledDetector& tiled, const std::vector<std::string>& class_names,
                           const CocoGroundTruth& gt, const fs::path& images_dir,
                           const detect::DetectOptions& options,
                           const std::function<void(int, int)>& progress) {
  BenchmarkRun run;
  const std::vector<std::int64_t> to_category = category_map(class_names, gt);
  double total_ms = 0, total_inputs = 0;
  bool warmed_up = false;
  const int total = static_cast<int>(gt.images.size());
  for (int i = 0; i < total; ++i) {
    const CocoImage& image = gt.images[static_cast<std::size_t>(i)];
    const fs::path path = images_dir / image.file_name;
    const cv::Mat pixels = cv::imread(path.string(), cv::IMREAD_COLOR);
    if (pixels.empty()) {
      std::cerr << "error: " << path.string() << ": not a readable image\n";
      run.failed++;
      if (progress) progress(i + 1, total);
      continue;
    }
    if (!warmed_up) {
      tiled.detect(pixels, options); // compiles the engine for this frame's batch shapes
      warmed_up = true;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const tiling::TiledResult result = tiled.detect(pixels, options);
    total_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    total_inputs += static_cast<double>(result.plan.views());
    for (const detect::Detection& d : result.detections) {
      const std::int64_t category =
          d.class_id >= 0 && static_cast<std::size_t>(d.class_id) < to_category.size()
              ? to_category[static_cast<std::size_t>(d.class_id)]
              : -1;
      if (category < 0) continue;
      run.detections.push_back({image.id, category, to_coco_box(d.box), d.score});
    }
    run.frames++;
    if (progress) progress(i + 1, total);
  }
  if (run.frames > 0) {
    run.ms_per_frame = total_ms / run.frames;
    run.tiles_per_frame = total_inputs / run.frames;
  }
  return run;
}

std::vector<SweepConfig> standard_sweep_configs(const tiling::SliceOptions& adaptive) {
  using tiling::SliceMode;
  std::vector<SweepConfig> configs;
  configs.push_back({"full frame", tiling::SliceOptions{}});
  auto both = [&](const std::string& name, tiling::SliceOptions slice) {
    slice.full_frame = true;
    configs.push_back({name + " + full", slice});
    slice.full_frame = false;
    configs.push_back({name, slice});
  };
  tiling::SliceOptions sahi_auto;
  sahi_auto.mode = SliceMode::kSahiAuto;
  both("sahi-auto", sahi_auto);
  for (int size : {416, 640}) {
    tiling::SliceOptions fixed;
    fixed.mode = SliceMode::kFixed;
    fixed.slice_width = fixed.slice_height = size;
    fixed.overlap = 0.2;
    both("fixed " + std::to_string(size), fixed);
  }
  tiling::SliceOptions ours = adaptive;
  ours.mode = SliceMode::kAdaptive;
  both("adaptive", ours);
  return configs;
}

std::string sweep_table_markdown(const std::vector<SweepRow>& rows) {
  std::string md = "| config | AP | AP50 | AP_small | AP_medium | AR100 | tiles/frame | ms/frame |\n"
                   "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const SweepRow& r : rows) {
    char numbers[96];
    std::snprintf(numbers, sizeof numbers, " %.1f | %.1f |", r.tiles_per_frame, r.ms_per_frame);
    md += "| " + r.config.name + " | " + percent(r.summary.ap) + " | " + percent(r.summary.ap50) + " | " +
          percent(r.summary.ap_small) + " | " + percent(r.summary.ap_medium) + " | " +
          percent(r.summary.ar100) + " |" + numbers + "\n";
  }
  return md;
}

std::string write_sweep_report(const fs::path& out, const std::vector<SweepRow>& rows,
                               const std::vector<std::pair<std::string, std::string>>& facts) {
  fs::create_directories(out);
  const std::string md = sweep_table_markdown(rows);
  {
    std::ofstream file(out / "sweep.md");
    file << md;
    if (!file) throw Error((out / "sweep.md").string() + ": cannot write");
  }
  nlohmann::json json = nlohmann::json::array();
  for (const SweepRow& r : rows) {
    nlohmann::json metrics;
    for (const auto& [key, value] : summary_entries(r.summary))
      metrics[key] = value;
    json.push_back({{"config", r.config.name},
                    {"metrics", metrics},
                    {"ms_per_frame", r.ms_per_frame},
                    {"tiles_per_frame", r.tiles_per_frame},
                    {"frames", r.frames}});
  }
  {
    std::ofstream file(out / "sweep.json");
    file << json.dump(1) << '\n';
    if (!file) throw Error((out / "sweep.json").string() + ": cannot write");
  }

  PlotSpec plot;
  plot.title = "Speed vs accuracy";
  plot.x_label = "ms per frame";
  plot.y_label = "AP (%)";
  plot.y_min = 0;
  plot.legend = LegendCorner::kBottomRight;
  PlotSeries ap{"AP@[.5:.95]", {}, {}, {-1, -1, -1}, false, true, {}};
  PlotSeries ap_small{"AP_small", {}, {}, {-1, -1, -1}, false, true, {}};
  double y_top = 1;
  for (const SweepRow& r : rows) {
    ap.x.push_back(r.ms_per_frame);
    ap.y.push_back(100 * std::max(0.0, r.summary.ap));
    ap.point_labels.push_back(r.config.name);
    ap_small.x.push_back(r.ms_per_frame);
    ap_small.y.push_back(100 * std::max(0.0, r.summary.ap_small));
    ap_small.point_labels.push_back("");
    y_top = std::max({y_top, ap.y.back(), ap_small.y.back()});
  }
  plot.y_max = y_top * 1.15;
  plot.series = {ap, ap_small};
  save_plot(out / "sweep.png", plot);

  std::string table = "<table><tr><th>config</th><th>AP</th><th>AP50</th><th>AP_small</th><th>AP_medium</th>"
                      "<th>AR100</th><th>tiles/frame</th><th>ms/frame</th></tr>\n";
  for (const SweepRow& r : rows) {
    char numbers[96];
    std::snprintf(numbers, sizeof numbers, "<td>%.1f</td><td>%.1f</td>", r.tiles_per_frame, r.ms_per_frame);
    table += "<tr><td>" + html_escape(r.config.name) + "</td><td>" + percent(r.summary.ap) + "</td><td>" +
             percent(r.summary.ap50) + "</td><td>" + percent(r.summary.ap_small) + "</td><td>" +
             percent(r.summary.ap_medium) + "</td><td>" + percent(r.summary.ar100) + "</td>" + numbers +
             "</tr>\n";
  }
  table += "</table>\n";
  write_html_report(
      out, "tilescope slicing sweep", facts,
      {ReportSection{"Configurations", table, {}},
       ReportSection{"Speed vs accuracy", "<p>Each point is one configuration.</p>", {out / "sweep.png"}}});
  return md;
}

} // namespace tilescope::eval
