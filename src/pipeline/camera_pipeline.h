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
// The whole plan runs when motion gating is off and when motion cannot be trusted
// (background initialising, on the first frame too; global change). Otherwise each view
// of the full plan is swept round-robin (sweep_schedule.h): a view that has not run for
// sweep_every processed frames runs on top of the gated plan, so still objects are found
// within sweep_every frames and the sweeps' cost is spread over the frames.
//
// Gating regions (gate()):
//   - the predicted boxes of tracked objects of the classes that matter (the event
//     classes and the camera's classes; every class when both are empty): clutter of
//     other classes (a bag, a chair) is found by the sweeps but pulls in no tile;
//   - a small tracked object (one the full-frame pass may miss) past its confirmation
//     window whose box stays put (its centre within a quarter of its size of where it was
//     at the last visit) gets its tile every GatingOptions::still_track_every frames
//     only, and motion blobs mostly inside its box pull in no tile in between (they are
//     the object fidgeting): in between ByteTrack coasts it (ByteTracker::update's
//     `looked_at`: a track no view that ran could see is predicted, not marked lost, so
//     a low-score detection still continues it); once it moves it gets its tile every
//     frame again;
//   - motion regions, except blobs at least half inside the box of a large tracked object
//     (a walking person's limbs: the full-frame pass follows that person).
// With GatingOptions::packed_crops the regions that would pull in tiles become crops packed
// into model inputs instead (pack_regions(); tiling/packed_views.h), and with
// pack_large_tracks every tracked object gets a crop (gate_packed()): off by default.
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
#include "sweep_schedule.h"
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
  // A small, still tracked object's tile every this many processed frames (1: every frame;
  // capped at the tracker's max_time_lost so the track is never dropped in between).
  int still_track_every = 3;
  // A large tracked object still in its event-confirmation window (younger than
  // EventSettings::confirm_m frames) gets a tile too, as full slicing would give it: the
  // tile sees it at full resolution while its event is decided. gating_bench
  // --confirmation-tiles 0 measures gating without it (README, "Live gating": it brings
  // gating's event recall to full slicing's for ~0.2 more views per frame).
  bool confirmation_tiles = true;
  // Tiles are chosen for the fewest views, and the kept ones also look at the large objects
  // they hold: no full-frame pass for those (tiling::RegionPlanOptions::large_in_kept_tiles).
  bool large_in_kept_tiles = true;
  // Instead of the tiles that hold them, the regions that would pull in tiles (small
  // tracked objects, motion blobs) become crops copied at the tiles' scale into packed
  // model inputs (tiling/packed_views.h); crops too large for one input still go to the
  // grid rule. With pack_large_tracks, large tracked objects get crops too (no full-frame
  // pass for them; motion blobs mostly inside any tracked object's crop are dropped).
  // gating_bench --packed / --pack-large measure them; off by default (README, "Live
  // gating": on the sample video they cost recall).
  bool packed_crops = false;
  bool pack_large_tracks = false;
  int pack_gap_px = 16;        // model-input pixels of fill between packed crops
  int pack_join_px = 8;        // crops this close (frame pixels) are joined when the union fits
  track::MotionOptions motion; // the camera's motion detector
  // Only the classes that matter make tracked-object regions (above); false: every class.
  bool only_classes_that_matter = true;
};

// A processed frame with what the counters need beyond FrameResult.
struct ProcessedFrame {
  FrameResult result;
  int views = 0;                       // views that ran: tiles + packed canvases + full frame
  std::vector<tiling::TileRect> crops; // the packed crops that ran (GatingOptions::packed_crops)
  int full_plan_views = 0;             // views the ungated plan would have run
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
  // Takes over `previous` (the same camera and stream, new settings: an API update), before
  // this pipeline's first frame: its tracks and their open events go on (no close, no
  // reopen), its motion background and its sweep schedule too. Tracks start over (their
  // events close) only when the tracker's own settings differ: the lowest class threshold
  // or the fps limit. `previous` ends stopped.
  void continue_from(CameraPipeline& previous);

  const config::CameraConfig& camera() const { return camera_; }
  const config::TilingSettings& tiling() const { return tiling_; }
  std::int64_t events_opened() const { return events_.events_opened(); }
  const EventTracker& events() const { return events_; }

private:
  float threshold_of(int class_id) const;
  tiling::SlicePlan gate(const tiling::SlicePlan& full, const track::MotionResult& motion, cv::Size frame);
  // GatingOptions::packed_crops: crops around the same regions, packed (packed_views.h).
  tiling::SlicePlan gate_packed(const tiling::SlicePlan& full, const track::MotionResult& motion,
                                cv::Size frame);
  // Regions as packed crops (GatingOptions::packed_crops): tiling::plan_regions_packed
  // with this detector's input and the tiles' scale.
  tiling::SlicePlan pack_regions(const tiling::SlicePlan& full, const std::vector<tiling::Region>& regions,
                                 cv::Size frame, const tiling::RegionPlanOptions& options) const;
  bool matters(int class_id) const;      // its tracks make gating regions (gated_class_)
  double large_px(cv::Size frame) const; // objects the full-frame pass finds on its own
  // The still-track rule: whether a settled track's region is skipped this frame
  // (records the visit when it is not).
  bool skip_still(const track::PredictedBox& p, int still_every);
  int still_every() const; // GatingOptions::still_track_every, capped at max_time_lost
  // Ages of the held tracks into `age_of`; visits of dropped tracks are forgotten.
  void forget_dropped_tracks(std::unordered_map<int, int>& age_of);
  // For ByteTracker::update: where the views that ran (`ran`, of the full plan `full`)
  // could find a track's object; empty when the whole plan ran. Refers to `ran`.
  std::function<bool(const detect::BoxXYXY&)> looked_at(const tiling::SlicePlan& full,
                                                        const tiling::SlicePlan& ran, cv::Size frame) const;

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
  std::vector<bool> gated_class_;             // by class id: its tracks make regions
  SweepSchedule sweeps_;
  struct Visit {
    std::int64_t frame = 0; // processed frame
    double cx = 0, cy = 0;  // predicted box centre then
  };
  std::unordered_map<int, Visit> still_seen_; // small settled tracks: the last frame their region was kept
  std::int64_t processed_ = 0;
  bool stopped_ = false;
};

} // namespace tilescope::pipeline
