// The running system behind `tilescope serve`: the model, the store, one worker per
// camera, offline video jobs. The HTTP server talks to it through this header only.
//
//   auto system = pipeline::System::start(config);   // opens store + model, starts cameras
//   system->add_listener(listener);                   // frames and events, pushed
//   ...
//   system->stop();
//
// Cameras: the store owns them once the system has started. On start, each camera of
// the config whose name the store does not know yet (and that was not deleted through
// the API before: setting "deleted_config_cameras") is added to the store; then every
// camera in the store runs. Changes through add/update/remove persist at once.
//
// Per camera worker (own thread): LiveSource (newest frame only) -> fps limit ->
// motion on a downscaled frame -> tiles planned around motion and around the predicted
// boxes of tracked objects, every view of the plan swept (in rotation) at least once every
// TilingSettings::sweep_every frames
// -> one shared detector (one inference at a time, camera frames and API requests
// interleaved) -> merge -> masks -> ByteTrack -> events (N-of-M confirmation, zones,
// best snapshot) -> store -> listeners.
#pragma once

#include "tilescope/config/config.h"
#include "tilescope/detect/detection.h"
#include "tilescope/store/store.h"
#include "tilescope/tiling/merge.h"
#include "tilescope/tiling/plan.h"
#include "tilescope/video/live_source.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tilescope::pipeline {

struct TrackedObject {
  int track_id = 0; // ByteTrack id, stable while the object is tracked
  int class_id = 0;
  std::string label;
  float score = 0;
  detect::BoxXYXY box; // frame pixels
};

// One processed frame of a camera.
struct FrameResult {
  std::int64_t camera_id = 0;
  std::string camera_name;
  std::int64_t seq = 0;        // the source's frame number
  std::int64_t arrived_ms = 0; // wall clock when the frame was decoded
  std::int64_t done_ms = 0;    // wall clock when its detections were ready
  double latency_ms = 0;       // arrival -> detections (steady clock)
  int width = 0, height = 0;
  std::vector<TrackedObject> objects;  // confirmed tracks matched in this frame
  std::vector<tiling::TileRect> tiles; // tiles that ran (frame pixels)
  bool full_frame = false;             // the whole frame ran too
  bool sweep = false;                  // this frame ran the whole plan (not gated)
};

struct EventNotice {
  enum class Kind { kOpened, kUpdated, kClosed };
  Kind kind = Kind::kOpened;
  store::EventRecord event;
};
const char* to_string(EventNotice::Kind kind); // "opened" | "updated" | "closed"

// Called on camera threads: keep it short (queue the work), never block.
class Listener {
public:
  virtual ~Listener() = default;
  virtual void on_frame(const FrameResult& frame) {}
  virtual void on_event(const EventNotice& event) {}
};

struct CameraInfo {
  std::int64_t id = 0;
  config::CameraConfig config;                   // with password: redact before showing
  video::SourceStatus source;                    // connecting / live / retrying ...
  bool running = false;                          // a worker runs (enabled)
  double processed_fps = 0;                      // recent average
  double tiles_per_frame = 0;                    // recent average of views (tiles + full frame) per frame
  double latency_p50_ms = 0, latency_p95_ms = 0; // arrival -> detections, recent frames
  std::int64_t frames_processed = 0;
  std::int64_t frames_skipped = 0; // decoded but not processed (fps limit, busy)
  std::int64_t events_opened = 0;
};

struct DetectRequest {
  cv::Mat image;              // BGR
  tiling::SliceOptions slice; // mode kOff: the whole image once
  tiling::MergeOptions merge;
  float confidence = 0.25f;
  float iou = 0.45f;
  std::vector<std::string> classes; // empty: all
};

struct DetectResponse {
  std::vector<detect::Detection> detections; // image pixels
  std::vector<std::string> labels;           // one per detection
  tiling::SlicePlan plan;
  double elapsed_ms = 0;
};

struct JobRequest {
  std::string input_path;    // a video (or image) file
  bool delete_input = false; // an upload: removed when the job ends
  tiling::SliceOptions slice;
  tiling::MergeOptions merge;
  float confidence = 0.25f;
  std::vector<std::string> classes;
  std::int64_t max_frames = 0; // stop after this many frames (0: the whole video)
};

enum class JobState { kQueued, kRunning, kDone, kFailed, kCancelled };
const char* to_string(JobState state); // "queued" | "running" | "done" | "failed" | "cancelled"

struct JobStatus {
  std::string id; // random hex, 16 characters
  JobState state = JobState::kQueued;
  std::string input_name; // file name only
  std::int64_t frames_done = 0;
  std::int64_t frames_total = -1; // -1: unknown
  double progress = 0;            // 0..1
  std::string error;              // kFailed
  std::string result_json_path;   // kDone: JSON lines, one object per frame
  std::string video_path;         // kDone: annotated MP4
  std::int64_t created_ms = 0, finished_ms = 0;
};

class System {
public:
  // Opens the store (config.storage.path), the model, and starts every enabled camera.
  // Throws Error (or config::ConfigError) before starting anything when the model or
  // store cannot be opened.
  static std::unique_ptr<System> start(const config::Config& config);
  ~System(); // stop()
  // Stops cameras and jobs, closes open events. Idempotent.
  void stop();

  const config::Config& config() const;
  store::Store& store();
  const std::vector<std::string>& class_names() const;
  cv::Size model_input() const;

  // --- cameras ---
  std::vector<CameraInfo> cameras() const;
  std::optional<CameraInfo> camera(std::int64_t id) const;
  // Validates (throws config::ConfigError with the field paths) and persists; throws
  // store::ConflictError for a taken name. Starts the camera when enabled.
  CameraInfo add_camera(const config::CameraConfig& camera);
  // Same checks; restarts the worker with the new settings. nullopt: no such id.
  std::optional<CameraInfo> update_camera(std::int64_t id, const config::CameraConfig& camera);
  bool remove_camera(std::int64_t id); // stops it; its events stay
  video::ProbeResult test_camera(const config::CameraConfig& camera) const;

  // --- live ---
  // The newest processed frame of a camera as JPEG, boxes and track ids drawn when
  // `annotated` (encoded once per frame and shared between viewers). Waits up to
  // `timeout` for a frame newer than `after_seq`; nullptr on timeout or unknown camera.
  // `seq` receives the frame's number.
  std::shared_ptr<const std::vector<unsigned char>> wait_jpeg(std::int64_t camera_id, std::int64_t after_seq,
                                                              bool annotated,
                                                              std::chrono::milliseconds timeout,
                                                              std::int64_t& seq);
  // The newest raw frame (for the zone editor); empty when none yet.
  cv::Mat latest_frame(std::int64_t camera_id) const;
  // Listeners get every processed frame and every event change until removed.
  int add_listener(std::shared_ptr<Listener> listener);
  void remove_listener(int handle);

  // --- one-off detection (POST /api/v1/detect) ---
  DetectResponse detect(const DetectRequest& request);

  // --- offline video jobs ---
  std::string submit_job(const JobRequest& request); // throws Error for an unreadable input
  std::optional<JobStatus> job(const std::string& id) const;
  std::vector<JobStatus> jobs() const; // newest first
  // Cancels a queued or running job (it ends as kCancelled; its files stay until
  // removed). false: no such job, or it has already ended.
  bool cancel_job(const std::string& id);
  // Removes a job and its files; a queued or running job is cancelled first (its files
  // go when it stops). false: no such job.
  bool remove_job(const std::string& id);

  // Prometheus text exposition (format 0.0.4): per camera input/processed fps, dropped
  // frames, tiles per frame, inference latency histogram, reconnects; process memory,
  // queue depths.
  std::string metrics_text() const;

private:
  struct Impl;
  explicit System(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace tilescope::pipeline
