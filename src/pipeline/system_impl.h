// System's state, shared by system.cpp (boot, cameras, listeners, detect, jobs) and
// system_metrics.cpp. Locks, never held while calling into a worker that may block
// or into a listener:
//   changes_mutex    one camera change (add / update / remove / stop) at a time; taken
//                    first, held while an old worker stops (API changes are rare)
//   cameras_mutex    the camera slots (config, worker, problem)
//   counters_mutex   the per-camera counter map (the counters themselves are atomic)
//   listeners_mutex  the listener map
//   retention_mutex  `stopping` and the retention thread's wake-up
#pragma once

#include "metrics.h"
#include "tilescope/pipeline/system.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tilescope::pipeline {

class CameraWorker;
class JobQueue;
class SharedDetector;

// Per camera id, kept across worker restarts (and removals, so a counter never goes
// back while the process runs): what /metrics needs beyond the worker's stats.
struct CounterSet {
  LatencyHistogram latency; // arrival -> detections per processed frame
  std::atomic<std::int64_t> events_opened{0};
  std::atomic<std::int64_t> last_seq{0}; // newest frame number handed to listeners
};

struct CameraSlot {
  config::CameraConfig config;
  std::shared_ptr<CameraWorker> worker; // null: disabled or invalid; shared with waiting viewers
  std::shared_ptr<CounterSet> counters;
  std::int64_t seq_base = 0; // added to the worker's frame numbers (see start_worker)
  std::string problem;       // why a stored camera cannot run ("" : none)
};

struct System::Impl {
  config::Config config;
  std::string model_path;
  std::vector<std::string> class_names;
  cv::Size model_input;
  std::chrono::steady_clock::time_point started;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<SharedDetector> detector;
  std::unique_ptr<JobQueue> jobs;

  std::mutex changes_mutex;
  bool stopped = false; // guarded by changes_mutex: no worker starts after stop()

  mutable std::mutex cameras_mutex;
  std::map<std::int64_t, CameraSlot> cameras;

  mutable std::mutex counters_mutex;
  std::map<std::int64_t, std::shared_ptr<CounterSet>> counters;

  mutable std::mutex listeners_mutex;
  std::map<int, std::shared_ptr<Listener>> listeners;
  int next_listener = 1;

  std::mutex retention_mutex;
  std::condition_variable retention_wake;
  bool stopping = false;
  std::thread retention_thread;

  ~Impl();

  void throw_if_stopped() const; // caller holds changes_mutex
  void seed_config_cameras();
  void remember_deleted_config_camera(const std::string& name);
  // Reads a stored camera into a slot and starts it when enabled and valid.
  void load_camera(const store::CameraRecord& record);
  std::shared_ptr<CounterSet> counters_for(std::int64_t id);
  // Caller holds cameras_mutex. nullptr (slot.problem says why) when the worker refuses.
  std::shared_ptr<CameraWorker> start_worker(std::int64_t id, CameraSlot& slot);
  // Caller holds cameras_mutex.
  CameraInfo info(std::int64_t id, const CameraSlot& slot) const;
  std::shared_ptr<CameraWorker> worker(std::int64_t id, std::int64_t* seq_base) const;

  void on_frame(CounterSet& counters, std::int64_t seq_base, const FrameResult& frame);
  void on_event(CounterSet& counters, const EventNotice& event);
  std::vector<std::shared_ptr<Listener>> listener_list() const;

  void apply_retention();
  void run_retention();
};

} // namespace tilescope::pipeline
