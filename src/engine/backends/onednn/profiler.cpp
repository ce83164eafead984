#include "backends/onednn/profiler.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>
#include <time.h>

namespace tilescope::engine::onednn {
namespace {

constexpr std::size_t kSlowestSteps = 15;

double to_ms(Profiler::Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

} // namespace

Profiler::Profiler(std::vector<std::string> labels, std::vector<std::string> nodes)
    : labels_(std::move(labels)), nodes_(std::move(nodes)), totals_(labels_.size()) {
  const char* env = std::getenv("TILESCOPE_PROFILE");
  enabled_ = env != nullptr && std::strcmp(env, "0") != 0 && env[0] != '\0';
  cpu_time_ = enabled_ && std::strncmp(env, "cpu", 3) == 0;
  all_steps_ = enabled_ && std::strstr(env, "all") != nullptr;
}

Profiler::Duration Profiler::now() const {
  if (!cpu_time_) return std::chrono::steady_clock::now().time_since_epoch();
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

Profiler::~Profiler() {
  if (!enabled_ || runs_ == 0) return;
  struct Row {
    int steps = 0;
    double ms = 0;
  };
  std::map<std::string, Row> by_label;
  double total_ms = to_ms(output_copy_) / runs_;
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    Row& row = by_label[labels_[i]];
    ++row.steps;
    row.ms += to_ms(totals_[i]) / runs_;
    total_ms += to_ms(totals_[i]) / runs_;
  }
  std::vector<std::pair<std::string, Row>> rows(by_label.begin(), by_label.end());
  rows.push_back({"(output copy)", Row{0, to_ms(output_copy_) / runs_}});
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  std::fprintf(stderr, "onednn profile (%s): %d runs, %.3f ms per run in %zu steps\n",
               cpu_time_ ? "process CPU time" : "wall clock", runs_, total_ms, labels_.size());
  std::fprintf(stderr, "  %-28s %6s %10s %7s\n", "op", "steps", "ms/run", "share");
  for (const auto& [label, row] : rows) {
    std::fprintf(stderr, "  %-28s %6d %10.3f %6.1f%%\n", label.c_str(), row.steps, row.ms,
                 total_ms > 0 ? 100.0 * row.ms / total_ms : 0.0);
  }
  std::vector<std::size_t> order(labels_.size());
  std::iota(order.begin(), order.end(), 0);
  if (!all_steps_) {
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return totals_[a] > totals_[b]; });
  }
  const std::size_t shown = all_steps_ ? order.size() : std::min(kSlowestSteps, order.size());
  std::fprintf(stderr, all_steps_ ? "  steps in run order:\n" : "  slowest steps:\n");
  for (std::size_t k = 0; k < shown; ++k) {
    const std::size_t i = order[k];
    std::fprintf(stderr, "  %4zu %-20s %-40s %8.3f ms\n", i, labels_[i].c_str(), nodes_[i].c_str(),
                 to_ms(totals_[i]) / runs_);
  }
}

} // namespace tilescope::engine::onednn
