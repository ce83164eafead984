// Prometheus text exposition (src/pipeline/metrics.h): escaping, number format,
// histogram lines.
#include "metrics.h"

#include <gtest/gtest.h>
#include <limits>

namespace tilescope::pipeline {
namespace {

TEST(MetricsText, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value("plain-name_1"), "plain-name_1");
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  MetricsText m;
  m.family("x_total", MetricsText::Type::kCounter, "Line one\nback\\slash");
  m.sample("x_total", {{"camera", "say \"hi\""}, {"zone", "a\\b"}}, 3);
  EXPECT_EQ(m.text(), "# HELP x_total Line one\\nback\\\\slash\n"
                      "# TYPE x_total counter\n"
                      "x_total{camera=\"say \\\"hi\\\"\",zone=\"a\\\\b\"} 3\n");
}

TEST(MetricsText, FormatsNumbersAsPrometheusReadsThem) {
  EXPECT_EQ(format_metric_value(0), "0");
  EXPECT_EQ(format_metric_value(123456789012), "123456789012");
  EXPECT_EQ(format_metric_value(-2), "-2");
  EXPECT_EQ(format_metric_value(2.5), "2.5");
  EXPECT_EQ(format_metric_value(1234567.875), "1234567.875"); // a latency sum keeps its digits
  EXPECT_EQ(format_metric_value(0.1), "0.1");
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_metric_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(MetricsText, HistogramHasCumulativeBucketsSumAndCount) {
  LatencyHistogram h;
  for (double ms : {5.0, 10.0, 40.0, 99.0, 20000.0})
    h.observe(ms);
  h.observe(-1); // ignored
  const LatencyHistogram::Snapshot s = h.snapshot();
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.sum_ms, 20154.0);
  EXPECT_EQ(s.cumulative[0], 2u); // le=10: 5 and 10 (bounds are inclusive)
  EXPECT_EQ(s.cumulative[2], 3u); // le=50
  EXPECT_EQ(s.cumulative[3], 4u); // le=100
  EXPECT_EQ(s.cumulative.back(), 4u);

  MetricsText m;
  m.histogram("lat_ms", {{"camera", "c"}}, s);
  const std::string& t = m.text();
  EXPECT_NE(t.find("lat_ms_bucket{camera=\"c\",le=\"10\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_ms_bucket{camera=\"c\",le=\"10000\"} 4\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_ms_bucket{camera=\"c\",le=\"+Inf\"} 5\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_ms_sum{camera=\"c\"} 20154\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_ms_count{camera=\"c\"} 5\n"), std::string::npos) << t;
}

TEST(MetricsText, ReadsProcessMemory) {
  const ProcessMemory m = read_process_memory();
  EXPECT_GT(m.resident_bytes, 0);
  EXPECT_GE(m.peak_bytes, m.resident_bytes);
}

} // namespace
} // namespace tilescope::pipeline
