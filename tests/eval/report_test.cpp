// The HTML report and its charts: files exist, are self-contained, and the
// charts put data where the axes say.
#include "coco_test_util.h"
#include "tilescope/eval/report.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <unistd.h>

namespace tilescope::eval {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("tilescope_eval_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  return dir;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CocoEvaluation small_evaluation() {
  test::Case c;
  c.image(1).category(1, "person").category(2, "knife <&>");
  c.gt(1, 1, {0, 0, 10, 10}).gt(1, 1, {20, 20, 10, 10}).gt(1, 2, {0, 0, 100, 100});
  c.dt(1, 1, {0, 0, 10, 10}, 0.9).dt(1, 1, {60, 60, 10, 10}, 0.8).dt(1, 1, {20, 20, 10, 10}, 0.7);
  c.dt(1, 2, {5, 5, 100, 100}, 0.6);
  return c.run();
}

TEST(Report, DrawPlotPutsDataWhereTheAxesSay) {
  // A horizontal red line at y = 0.5 on a [0,1] x [0,1] chart: the pixel column in
  // the middle of the image must be red somewhere near the vertical middle of the
  // plot area, and white well away from it.
  PlotSpec spec;
  spec.title = "t";
  spec.x_label = "x";
  spec.y_label = "y";
  spec.x_min = 0, spec.x_max = 1, spec.y_min = 0, spec.y_max = 1;
  spec.width = 600, spec.height = 400;
  PlotSeries line;
  line.x = {0, 1};
  line.y = {0.5, 0.5};
  line.color = cv::Scalar(0, 0, 255);
  spec.series.push_back(line);
  const cv::Mat img = draw_plot(spec);
  ASSERT_EQ(img.cols, 600);
  ASSERT_EQ(img.rows, 400);
  int red_rows = 0, first_red = -1;
  for (int y = 0; y < img.rows; ++y) {
    const cv::Vec3b p = img.at<cv::Vec3b>(y, img.cols / 2 + 7);
    if (p[2] > 200 && p[1] < 80 && p[0] < 80) red_rows++, first_red = first_red < 0 ? y : first_red;
  }
  EXPECT_GE(red_rows, 1);
  EXPECT_LE(red_rows, 4); // a 2-pixel line, anti-aliased
  // Plot area: top margin 56 (with a title), bottom margin 72 -> middle at
  // 56 + (400 - 56 - 72) / 2 = 192.
  EXPECT_NEAR(first_red, 192, 3);

  // A line on the x axis (precision 0 past the last recall) must show, not be
  // half clipped by the plot frame: y = 0 is row 56 + 272 = 328.
  spec.series[0].y = {0, 0};
  const cv::Mat on_axis = draw_plot(spec);
  int red_near_axis = 0;
  for (int y = 325; y <= 331; ++y) {
    const cv::Vec3b p = on_axis.at<cv::Vec3b>(y, on_axis.cols / 2 + 7);
    red_near_axis += p[2] > 200 && p[1] < 80 && p[0] < 80;
  }
  EXPECT_GE(red_near_axis, 2); // 3 rows; with the frame clipping it, 1
}

TEST(Report, WritesSelfContainedFolder) {
  const fs::path dir = fresh_dir("report");
  const fs::path outside_png = fresh_dir("extra_img").string() + ".png";
  PlotSpec extra;
  PlotSeries points;
  points.label = "speed";
  points.x = {1, 2, 3};
  points.y = {0.2, 0.4, 0.3};
  points.markers = true;
  extra.series.push_back(points);
  save_plot(outside_png, extra);

  ReportOptions opts;
  opts.title = "eval <test>";
  opts.facts.emplace_back("Ground truth", "gt.json");
  opts.extra_sections.push_back({"Sweep", "<p>sweep table</p>", {outside_png}});
  const CocoEvaluation ev = small_evaluation();
  const fs::path index = write_eval_report(dir, ev, opts);
  ASSERT_EQ(index, dir / "index.html");
  const std::string html = read(index);
  EXPECT_NE(html.find("eval &lt;test&gt;"), std::string::npos);
  EXPECT_NE(html.find("knife &lt;&amp;&gt;"), std::string::npos);
  EXPECT_NE(html.find("<td>AP50</td>"), std::string::npos);
  EXPECT_NE(html.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]"),
            std::string::npos);
  EXPECT_NE(html.find("<p>sweep table</p>"), std::string::npos);
  // Images by relative path, the outside one copied in.
  EXPECT_NE(html.find("src=\"pr.png\""), std::string::npos);
  EXPECT_NE(html.find("src=\"pr_by_area.png\""), std::string::npos);
  const std::string copied = outside_png.filename().string();
  EXPECT_NE(html.find("src=\"" + copied + "\""), std::string::npos);
  for (const std::string name : {"pr.png", "pr_by_area.png", copied.c_str()}) {
    const cv::Mat img = cv::imread((dir / name).string());
    EXPECT_FALSE(img.empty()) << name;
  }
  fs::remove_all(dir);
  fs::remove(outside_png);
}

TEST(Report, PrecisionRecallPlotCurves) {
  // Category 1: envelope [1, 2/3, 2/3] at recall [.5, .5, 1] (see coco_eval_test);
  // category 2: the one box has IoU 95²/(2*100² - 95²) = 0.82 -> AP 1 up to 0.80.
  const CocoEvaluation ev = small_evaluation();
  const PlotSpec spec = precision_recall_plot(ev);
  ASSERT_EQ(spec.series.size(), 3u);
  EXPECT_EQ(spec.series[1].x.size(), 101u);
  // IoU 0.50: mean of category 1 (1 up to recall .5, then 2/3) and category 2 (1).
  EXPECT_NEAR(spec.series[1].y[50], 1.0, test::kTol);
  EXPECT_NEAR(spec.series[1].y[51], (2.0 / 3 + 1) / 2, test::kTol);
  EXPECT_NE(spec.series[1].label.find("IoU 0.50 (AP "), std::string::npos);
  // By area: category 2's object is 100x100 (large); category 1's are small;
  // nothing medium -> 3 curves.
  EXPECT_EQ(precision_recall_by_area_plot(ev).series.size(), 3u);
}

TEST(Report, HtmlEscape) { EXPECT_EQ(html_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;"); }

} // namespace
} // namespace tilescope::eval
