// One running camera: its LiveSource (decode thread, newest frame only), its own
// processing thread ("cam-<name>") running CameraPipeline on the frames the fps limit
// lets through, and what viewers and /metrics read about it.
//
//   CameraWorker worker(id, camera, WorkerContext{shared, store, defaults, on_frame, on_event});
//   ...                                     // started by the constructor
//   worker.wait_jpeg(last_seq, true, 1s, seq);
//   worker.update(new_settings);            // same stream: applied between two frames
//   worker.stop();                          // joins; open events are closed
//
// Loop: wait_frame -> FpsLimiter (skipped frames counted, never converted to BGR) -> CameraPipeline::process
// -> latest processed frame kept for viewers -> stats -> on_frame. An exception from a
// frame is caught, logged (the URL redacted; at most one line per 10 s after the first)
// and the loop goes on with the next frame.
//
// Thread-safety: every public member may be called from any thread. on_frame and
// on_event run on the camera thread: keep them short.
#pragma once

#include "camera_pipeline.h"
#include "metrics.h"
#include "shared_detector.h"
#include "tilescope/config/config.h"
#include "tilescope/pipeline/system.h"
#include "tilescope/store/store.h"
#include "tilescope/video/live_source.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tilescope::pipeline {

struct WorkerContext {
  SharedDetector& detector;                         // outlives the worker
  store::Store& store;                              // outlives the worker
  config::TilingSettings tiling_defaults;           // for a camera without its own tiling settings
  std::function<void(const FrameResult&)> on_frame; // may be empty
  std::function<void(const EventNotice&)> on_event; // may be empty
  bool draw_tiles = false;                          // annotated JPEGs also outline the tiles that ran
};

// Lets frames through at most `fps` per second of arrival time (0: all). A frame may
// come up to a quarter period early (decode jitter), and a consumer that fell behind
// by more than a period starts a fresh schedule instead of catching up in a burst.
class FpsLimiter {
public:
  explicit FpsLimiter(double fps);
  bool accept(std::chrono::steady_clock::time_point arrived);

private:
  std::chrono::steady_clock::duration period_{};
  std::chrono::steady_clock::time_point next_due_{};
  bool started_ = false;
};

// Recent behaviour of a camera (CameraInfo, /metrics). Averages and percentiles are
// over the last kRecentFrames processed frames (fps over those of the last 10 s).
struct WorkerStats {
  static constexpr int kRecentFrames = 100;
  double processed_fps = 0;
  double tiles_per_frame = 0; // views that ran (tiles + full frame), average
  double full_plan_views = 0; // views the ungated plan would have run, average
  double latency_p50_ms = 0;  // arrival -> detections
  double latency_p95_ms = 0;
  double inference_ms = 0; // the detector's turn, average
  double wait_ms = 0;      // waiting for the shared detector, average
  std::int64_t frames_processed = 0;
  std::int64_t frames_skipped = 0;           // decoded, not processed: fps limit + dropped by the source
  std::int64_t frames_skipped_fps_limit = 0; // of which the fps limit
  std::int64_t frames_failed = 0;            // a frame that threw
  std::int64_t views_total = 0;              // views run since start
  std::int64_t full_plan_views_total = 0;    // views the ungated plans would have run
  std::int64_t sweeps = 0;
  std::int64_t events_opened = 0;
  std::string last_error; // of a failed frame, redacted; "" when none
};

class CameraWorker {
public:
  // Starts the source and the thread. Throws Error (before starting anything) for
  // settings the pipeline refuses.
  CameraWorker(std::int64_t id, config::CameraConfig camera, WorkerContext context);
  ~CameraWorker(); // stop()
  CameraWorker(const CameraWorker&) = delete;
  CameraWorker& operator=(const CameraWorker&) = delete;

  // Stops the source and the thread, closes open events, wakes every wait_jpeg.
  // Idempotent.
  void stop();

  // New settings for the same stream (url, rtsp_transport and loop unchanged): the source
  // keeps its connection, and a new CameraPipeline takes over the old one's tracks and open
  // events (CameraPipeline::continue_from) between two frames, so an update neither
  // reconnects nor closes and reopens events. Blocks until the camera thread has switched
  // (at most one frame) or the worker stops. Returns false, changing nothing, when the
  // stream differs or the worker is stopping: the caller restarts the worker instead.
  // Throws Error, changing nothing, for settings the pipeline refuses.
  bool update(const config::CameraConfig& camera);

  std::int64_t id() const { return id_; }
  config::CameraConfig config() const;
  bool running() const { return !stopping_; }

  WorkerStats stats() const;
  video::SourceStatus source_status() const; // state kStopped after stop()
  // Prometheus histograms: arrival -> detections per processed frame, and the
  // detector's turn per frame that ran any view.
  LatencyHistogram::Snapshot latency_histogram() const { return latency_.snapshot(); }
  LatencyHistogram::Snapshot inference_histogram() const { return inference_.snapshot(); }

  // The newest processed frame as JPEG (objects drawn when `annotated`), encoded on the
  // first request for that frame and shared after. Waits up to `timeout` for a frame
  // with seq > after_seq; nullptr on timeout or stop. `seq` receives its number.
  std::shared_ptr<const std::vector<unsigned char>>
  wait_jpeg(std::int64_t after_seq, bool annotated, std::chrono::milliseconds timeout, std::int64_t& seq);
  // The newest frame taken for processing (frames the fps limit skips are never
  // converted to BGR; shared, do not write into it). Empty when none yet.
  cv::Mat latest_frame() const;
  // The newest processed frame's result (seq 0 when none yet).
  FrameResult latest_result() const;

private:
  struct Sample {
    std::chrono::steady_clock::time_point done;
    double latency_ms, inference_ms, wait_ms;
    int views, full_plan_views;
  };
  struct Jpeg {
    std::int64_t seq = -1;
    std::shared_ptr<const std::vector<unsigned char>> bytes;
  };

  void run();
  // Camera thread: switches to a pipeline update() left, if any.
  void apply_update(FpsLimiter& limiter);
  std::unique_ptr<CameraPipeline> make_pipeline(const config::CameraConfig& camera);
  void publish(const ProcessedFrame& processed, const cv::Mat& frame);
  void log_failure(std::int64_t seq, const std::string& what);

  const std::int64_t id_;
  config::CameraConfig camera_; // written by the camera thread under mutex_ (apply_update)
  WorkerContext context_;
  std::unique_ptr<CameraPipeline> pipeline_; // the camera thread's (and stop()'s, after the join)
  std::unique_ptr<video::LiveSource> source_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_; // stop() from two threads: the second waits for the first
  bool stopped_ = false;
  std::thread thread_;

  mutable std::mutex mutex_; // everything below
  std::condition_variable frame_ready_;
  std::condition_variable updated_; // update(): the camera thread took the new pipeline
  std::unique_ptr<CameraPipeline> next_pipeline_;
  config::CameraConfig next_camera_;
  std::uint64_t updates_asked_ = 0, updates_applied_ = 0;
  cv::Mat latest_decoded_;
  cv::Mat latest_processed_;
  FrameResult latest_result_;
  Jpeg raw_jpeg_, annotated_jpeg_;
  std::deque<Sample> recent_;
  WorkerStats counts_; // the cumulative counters; averages are computed in stats()
  std::chrono::steady_clock::time_point last_logged_{};
  int unlogged_failures_ = 0;

  std::mutex encode_mutex_; // one encoder at a time per worker: viewers share the result
  LatencyHistogram latency_, inference_;
};

} // namespace tilescope::pipeline
