#include "progress.h"

#include <cstdio>
#include <unistd.h>

namespace tilescope::cli {

Progress::Progress(std::string label, std::int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { finish(); }

bool Progress::enabled() {
  static const bool tty = isatty(STDERR_FILENO) != 0;
  return tty;
}

void Progress::advance(std::int64_t n) {
  done_ += n;
  draw(false);
}

void Progress::draw(bool force) {
  if (!enabled() || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  std::string label = label_.size() > 32 ? "..." + label_.substr(label_.size() - 29) : label_;
  if (total_ > 0) {
    constexpr int kWidth = 24;
    const double frac = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(kWidth - filled), '.');
    const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : 0.0;
    std::fprintf(stderr, "\r%-32s [%s] %lld/%lld %s  %.1f %s/s  ETA %d:%02d ", label.c_str(), bar.c_str(),
                 static_cast<long long>(done_), static_cast<long long>(total_), unit_.c_str(), rate,
                 unit_.c_str(), static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
  } else {
    std::fprintf(stderr, "\r%-32s %lld %s  %.1f %s/s ", label.c_str(), static_cast<long long>(done_),
                 unit_.c_str(), rate, unit_.c_str());
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled()) std::fprintf(stderr, "\r\033[K");
}

} // namespace tilescope::cli
