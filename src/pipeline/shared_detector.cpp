// The detector shared by cameras, jobs and API requests (shared_detector.h).
#include "shared_detector.h"

namespace tilescope::pipeline {

SharedDetector::SharedDetector(detect::Detector detector)
    : detector_(std::make_unique<detect::Detector>(std::move(detector))),
      class_names_(detector_->class_names()), input_size_(detector_->input_size()) {}

std::unique_ptr<tiling::TiledDetector> SharedDetector::make_tiled(const tiling::SliceOptions& slice,
                                                                  const tiling::MergeOptions& merge) {
  // The constructor only reads the model's input size: no turn needed.
  return std::make_unique<tiling::TiledDetector>(*detector_, slice, merge);
}

SharedDetector::Stats SharedDetector::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

SharedDetector::Turn::Turn(SharedDetector& owner) : owner_(owner) {
  const auto asked = std::chrono::steady_clock::now();
  std::unique_lock lock(owner_.mutex_);
  const std::uint64_t ticket = owner_.next_ticket_++;
  owner_.stats_.waiting++;
  owner_.turn_changed_.wait(lock, [&] { return owner_.serving_ == ticket; });
  owner_.stats_.waiting--;
  started_ = std::chrono::steady_clock::now();
  owner_.stats_.wait_ms += std::chrono::duration<double, std::milli>(started_ - asked).count();
}

SharedDetector::Turn::~Turn() {
  const double held_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
  {
    std::lock_guard lock(owner_.mutex_);
    owner_.serving_++;
    owner_.stats_.calls++;
    owner_.stats_.busy_ms += held_ms;
  }
  owner_.busy_histogram_.observe(held_ms);
  owner_.turn_changed_.notify_all();
}

} // namespace tilescope::pipeline
