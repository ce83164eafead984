// Per-step timers, on when the environment has TILESCOPE_PROFILE=1 (wall
// clock) or TILESCOPE_PROFILE=cpu (process CPU time: on a busy shared machine,
// run with one thread and this shows the work each step does, free of the time
// it waited for a core). At destruction it prints to stderr a table per op type
// (steps, mean ms per run, share) and the slowest steps, averaged over the runs;
// TILESCOPE_PROFILE=all (wall clock) or cpu-all lists every step in run order
// instead.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace tilescope::engine::onednn {

class Profiler {
public:
  // `labels[i]`, `nodes[i]`: op type and node name of step i.
  Profiler(std::vector<std::string> labels, std::vector<std::string> nodes);
  ~Profiler();
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  using Duration = std::chrono::nanoseconds;
  bool enabled() const { return enabled_; }
  // The profiler's clock (wall or process CPU time).
  Duration now() const;
  void begin_run() { ++runs_; }
  void add(std::size_t step, Duration elapsed) { totals_[step] += elapsed; }
  void add_output_copy(Duration elapsed) { output_copy_ += elapsed; }

private:
  bool enabled_ = false;
  bool cpu_time_ = false;
  bool all_steps_ = false;
  int runs_ = 0;
  std::vector<std::string> labels_;
  std::vector<std::string> nodes_;
  std::vector<Duration> totals_;
  Duration output_copy_{};
};

} // namespace tilescope::engine::onednn
