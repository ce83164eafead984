// /metrics: Prometheus text exposition format 0.0.4.
//
//   # HELP tilescope_camera_input_fps Frames decoded per second (recent average).
//   # TYPE tilescope_camera_input_fps gauge
//   tilescope_camera_input_fps{camera="lobby"} 10
//
// Every family is written as one block (HELP, TYPE, then all its samples), as the
// format requires; label values are escaped (backslash, double quote, newline).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tilescope::pipeline {

// Frame latency (arrival -> detections) in milliseconds, Prometheus-style: cumulative
// buckets, sum and count. Thread-safe (one camera thread observes, /metrics reads).
class LatencyHistogram {
public:
  // Upper bounds (ms) of the buckets; +Inf is implicit. From one 416x416 pass on a
  // loaded 2-core box (~50 ms) up to a queue of tiles behind a busy detector (seconds).
  static constexpr std::array<double, 12> kBoundsMs = {10,  25,  50,   100,  150,  250,
                                                       500, 750, 1000, 2500, 5000, 10000};

  struct Snapshot {
    std::array<std::uint64_t, kBoundsMs.size()> cumulative{}; // observations <= each bound
    std::uint64_t count = 0;                                  // all observations (the +Inf bucket)
    double sum_ms = 0;
  };

  void observe(double latency_ms);
  Snapshot snapshot() const;

private:
  mutable std::mutex mutex_;
  std::array<std::uint64_t, kBoundsMs.size()> counts_{}; // per bucket, not cumulative
  std::uint64_t count_ = 0;
  double sum_ms_ = 0;
};

using Labels = std::vector<std::pair<std::string, std::string>>;

// Label values: \ -> \\, " -> \", newline -> \n.
std::string escape_label_value(std::string_view value);
// Numbers as Prometheus reads them: integers without exponent, +Inf, -Inf, NaN.
std::string format_metric_value(double value);

class MetricsText {
public:
  enum class Type { kGauge, kCounter, kHistogram };
  // Starts a family: its HELP and TYPE lines.
  void family(std::string_view name, Type type, std::string_view help);
  // One sample line: name{labels} value.
  void sample(std::string_view name, const Labels& labels, double value);
  // The _bucket (with le), _sum and _count lines of a histogram family `name`.
  void histogram(std::string_view name, const Labels& labels, const LatencyHistogram::Snapshot& histogram);
  const std::string& text() const { return text_; }

private:
  std::string text_;
};

// Resident and peak resident memory of this process from /proc/self/status (VmRSS,
// VmHWM), in bytes; -1 when unavailable.
struct ProcessMemory {
  std::int64_t resident_bytes = -1;
  std::int64_t peak_bytes = -1;
};
ProcessMemory read_process_memory();

} // namespace tilescope::pipeline
