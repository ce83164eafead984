// What a camera does with one frame, on whichever thread calls it (the camera worker's
// loop; tests feed frames from a file directly):
//
//   motion (downscaled, track::MotionDetector)
//     -> plan: the camera's full slice plan (tiling::TiledDetector::plan, adaptive by
//        default), gated by tiling::plan_regions around the motion regions and the
//        predicted boxes of tracked objects, unless this frame sweeps (below): tiles
//        where something small moves or is tracked, the full-frame pass when something
//        large is (region_plan.h, step 2)
//     -> tiled detection through the shared detector (one inference at a time)
//     -> masks (zones.h) -> ByteTrack -> events (event_tracker.h)
//     -> FrameResult: the confirmed tracks matched in this frame whose best score
//        reached their class's threshold.
// A frame sweeps (runs the whole plan) when motion gating is off, every sweep_every
// processed frames (the first included: still objects are found within sweep_every
// frames), and when motion cannot be trusted (background initialising, global change).
//
// Thresholds. The detector runs at half the lowest class threshold, and ByteTrack
// splits at the lowest threshold: boxes under a class's threshold still keep their
// tracks alive through partial occlusion (ByteTrack's "BYTE" second association), but
// a track is shown (FrameResult::objects) only once its best score reached its class's
// threshold (CameraConfig::class_thresholds, else score_threshold).
//
// Not thread-safe: one caller at a time.
#pragma once

#include "event_tracker.h"
#include "shared_detector.h"
#include "tilescope/config/config.h"
#include "tilescope/pipeline/system.h"
#include "tilescope/store/store.h"
#include "tilescope/tiling/region_plan.h"
#include "tilescope/tiling/tiled_detector.h"
#include "tilescope/track/byte_tracker.h"
#include "tilescope/track/motion.h"
#include "zones.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace tilescope::pipeline {

// Region padding for gating (frame pixels).
struct GatingOptions {
  int motion_padding_px = 16;      // motion regions lag the object (running-average background)
  double predicted_padding = 0.25; // predicted boxes grow by this fraction of their size per side
  int predicted_padding_px = 8;    // ... plus this
};

// A processed frame with what the counters need beyond FrameResult.
struct ProcessedFrame {
  FrameResult result;
  int views = 0;           // views that ran: tiles + full frame
  int full_plan_views = 0; // views the ungated plan would have run
  int motion_regions = 0;
  int detections = 0;      // after class filter and masks, before tracking
  double inference_ms = 0; // the tiled detection itself (the detector's turn)
  double wait_ms = 0;      // waiting for the shared detector
};

// CameraConfig::tiling (or the defaults) as tiling::SliceOptions. Throws Error naming
// the mode when it is not one tiling::parse_slice_mode knows.
tiling::SliceOptions to_slice_options(const config::TilingSettings& tiling);

class CameraPipeline {
public:
  // `detector` and `store` must outlive it. Throws Error for settings the modules refuse
  // (a slice mode, confirmation N/M).
  CameraPipeline(std::int64_t camera_id, config::CameraConfig camera, SharedDetector& detector,
                 store::Store& store, const config::TilingSettings& tiling_defaults,
                 std::function<void(const EventNotice&)> on_event, GatingOptions gating = {});
  ~CameraPipeline(); // stop()

  // One 8-bit BGR frame. `arrived` / `arrived_wall_ms`: when it was decoded (latency
  // and event times). Throws Error on a detection or store failure; the pipeline stays
  // usable for the next frame.
  ProcessedFrame process(const cv::Mat& frame_bgr, std::int64_t seq,
                         std::chrono::steady_clock::time_point arrived, std::int64_t arrived_wall_ms);
  // Closes open events. Idempotent; process() may not be called afterwards.
  void stop();

  const config::CameraConfig& camera() const { return camera_; }
  const config::TilingSettings& tiling() const { return tiling_; }
  std::int64_t events_opened() const { return events_.events_opened(); }
  const EventTracker& events() const { return events_; }

private:
  float threshold_of(int class_id) const;
  tiling::SlicePlan gate(const tiling::SlicePlan& full, const track::MotionResult& motion,
                         cv::Size frame) const;

  std::int64_t camera_id_;
  config::CameraConfig camera_;
  config::TilingSettings tiling_;
  SharedDetector& detector_;
  GatingOptions gating_;
  std::unique_ptr<tiling::TiledDetector> tiled_;
  detect::DetectOptions detect_options_;
  std::vector<float> class_threshold_; // by class id (before events_, which gets them)
  track::MotionDetector motion_;
  track::TrackerOptions tracker_options_;
  track::ByteTracker tracker_;
  EventTracker events_;
  ZoneMap zones_;
  std::unordered_map<int, float> best_score_; // by track id, while ByteTracker holds it
  std::int64_t processed_ = 0;
  bool stopped_ = false;
};

} // namespace tilescope::pipeline
