// A one-line progress bar on stderr, drawn only when stderr is a terminal (logs
// and CI output stay clean). Rate-limited to ~10 redraws a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace tilescope::cli {

class Progress {
public:
  // total <= 0: unknown (a count and rate are shown instead of a bar).
  Progress(std::string label, std::int64_t total, std::string unit);
  ~Progress();
  void advance(std::int64_t n = 1);
  void finish(); // clears the line
  static bool enabled();

private:
  void draw(bool force);
  std::string label_, unit_;
  std::int64_t total_, done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool finished_ = false;
};

} // namespace tilescope::cli
