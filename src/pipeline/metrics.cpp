// Prometheus text exposition (metrics.h).
#include "metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace tilescope::pipeline {

void LatencyHistogram::observe(double latency_ms) {
  if (!std::isfinite(latency_ms) || latency_ms < 0) return;
  const auto it = std::lower_bound(kBoundsMs.begin(), kBoundsMs.end(), latency_ms); // le: <= bound
  std::lock_guard lock(mutex_);
  if (it != kBoundsMs.end()) counts_[static_cast<std::size_t>(it - kBoundsMs.begin())]++;
  count_++;
  sum_ms_ += latency_ms;
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const {
  Snapshot s;
  std::lock_guard lock(mutex_);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    running += counts_[i];
    s.cumulative[i] = running;
  }
  s.count = count_;
  s.sum_ms = sum_ms_;
  return s;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
    case '\\': out += "\\\\"; break;
    case '"': out += "\\\""; break;
    case '\n': out += "\\n"; break;
    default: out += c;
    }
  }
  return out;
}

std::string format_metric_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char text[32];
  // Whole numbers (counters, bytes) exactly as integers; the rest as the shortest text
  // that reads back to the same double.
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(text, sizeof text, "%.0f", value);
    return text;
  }
  const auto [end, error] = std::to_chars(text, text + sizeof text, value);
  return std::string(text, error == std::errc() ? end : text);
}

namespace {

// HELP text: backslash and newline escaped (the format's rule for docstrings).
std::string escape_help(std::string_view help) {
  std::string out;
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void append_labels(std::string& out, const Labels& labels) {
  if (labels.empty()) return;
  out += '{';
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first;
    out += "=\"";
    out += escape_label_value(labels[i].second);
    out += '"';
  }
  out += '}';
}

} // namespace

void MetricsText::family(std::string_view name, Type type, std::string_view help) {
  const char* type_name = type == Type::kGauge ? "gauge" : type == Type::kCounter ? "counter" : "histogram";
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  text_ += escape_help(help);
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += type_name;
  text_ += '\n';
}

void MetricsText::sample(std::string_view name, const Labels& labels, double value) {
  text_ += name;
  append_labels(text_, labels);
  text_ += ' ';
  text_ += format_metric_value(value);
  text_ += '\n';
}

void MetricsText::histogram(std::string_view name, const Labels& labels,
                            const LatencyHistogram::Snapshot& histogram) {
  const std::string base(name);
  for (std::size_t i = 0; i < LatencyHistogram::kBoundsMs.size(); ++i) {
    Labels with_le = labels;
    with_le.emplace_back("le", format_metric_value(LatencyHistogram::kBoundsMs[i]));
    sample(base + "_bucket", with_le, static_cast<double>(histogram.cumulative[i]));
  }
  Labels with_inf = labels;
  with_inf.emplace_back("le", "+Inf");
  sample(base + "_bucket", with_inf, static_cast<double>(histogram.count));
  sample(base + "_sum", labels, histogram.sum_ms);
  sample(base + "_count", labels, static_cast<double>(histogram.count));
}

ProcessMemory read_process_memory() {
  ProcessMemory memory;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    // "VmRSS:     123456 kB"
    const auto parse_kb = [&line]() -> std::int64_t {
      std::istringstream fields(line.substr(line.find(':') + 1));
      std::int64_t kb = -1;
      fields >> kb;
      return kb >= 0 ? kb * 1024 : -1;
    };
    if (line.rfind("VmRSS:", 0) == 0) memory.resident_bytes = parse_kb();
    if (line.rfind("VmHWM:", 0) == 0) memory.peak_bytes = parse_kb();
  }
  return memory;
}

} // namespace tilescope::pipeline
