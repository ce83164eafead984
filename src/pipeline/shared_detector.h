// One detector for the whole system: every camera, offline job and API request runs
// its inference through it, one at a time (the engine already uses every core for one
// run; two runs at once would only thrash the caches).
//
//   SharedDetector shared(detect::Detector::open(path));
//   auto tiled = shared.make_tiled(slice, merge);             // one per camera
//   TiledResult r = shared.use([&](detect::Detector&) { return tiled->detect(frame, opts, plan); });
//
// Turns are served first come, first served (a ticket lock), so a camera that comes
// back for its next frame queues behind the others instead of taking the detector
// again at once: cameras, jobs and API requests interleave run by run.
#pragma once

#include "metrics.h"
#include "tilescope/detect/detector.h"
#include "tilescope/tiling/tiled_detector.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tilescope::pipeline {

class SharedDetector {
public:
  explicit SharedDetector(detect::Detector detector);
  SharedDetector(const SharedDetector&) = delete;
  SharedDetector& operator=(const SharedDetector&) = delete;

  // Fixed at construction; safe to read from any thread without a turn.
  const std::vector<std::string>& class_names() const { return class_names_; }
  cv::Size input_size() const { return input_size_; }

  // Runs fn(detector) with the detector to itself and returns what fn returns.
  // Blocks until its turn. Exceptions from fn propagate (the turn ends).
  template <typename Fn> std::invoke_result_t<Fn, detect::Detector&> use(Fn&& fn) {
    Turn turn(*this);
    return std::forward<Fn>(fn)(*detector_);
  }
  // The same for callers that take a std::function (pipeline::DetectorAccess in jobs.h).
  void run(const std::function<void(detect::Detector&)>& fn) {
    use([&fn](detect::Detector& d) { fn(d); });
  }

  // A TiledDetector over the shared detector (one per camera: it keeps that camera's
  // measured costs). Its detect() must only be called inside use().
  std::unique_ptr<tiling::TiledDetector> make_tiled(const tiling::SliceOptions& slice,
                                                    const tiling::MergeOptions& merge);

  struct Stats {
    std::uint64_t calls = 0; // turns taken
    double busy_ms = 0;      // total time turns held the detector
    double wait_ms = 0;      // total time callers waited for their turn
    int waiting = 0;         // callers queued right now
  };
  Stats stats() const;
  // Time each turn held the detector (one tiled frame, one job frame, one request).
  LatencyHistogram::Snapshot busy_histogram() const { return busy_histogram_.snapshot(); }

private:
  // RAII turn: takes a ticket and waits for it in the constructor, hands over in the
  // destructor (recording the time held).
  class Turn {
  public:
    explicit Turn(SharedDetector& owner);
    ~Turn();
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;

  private:
    SharedDetector& owner_;
    std::chrono::steady_clock::time_point started_;
  };

  std::unique_ptr<detect::Detector> detector_;
  const std::vector<std::string> class_names_;
  const cv::Size input_size_;

  mutable std::mutex mutex_;
  std::condition_variable turn_changed_;
  std::uint64_t next_ticket_ = 0; // handed to the next caller
  std::uint64_t serving_ = 0;     // the ticket whose turn it is
  Stats stats_;
  LatencyHistogram busy_histogram_;
};

} // namespace tilescope::pipeline
