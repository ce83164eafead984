// Sliced inference over a detect::Detector: plan the tiles of a frame, run them
// (and the full-frame pass) through the engine as batches, map each tile's boxes
// into frame pixels, and merge.
//
//   TiledDetector tiled(detector, slice_options, merge_options);
//   TiledResult r = tiled.detect(frame, detect_options);   // r.detections in frame pixels
//
// Tiles are views of the frame (no copies); each is letterboxed straight into its
// slot of the batch tensor. Not thread-safe (one per thread, like Detector).
//
// One frame: plan (the adaptive planner with the costs measured so far) -> one
// detector.detect() over every tile and, when planned, the whole frame (the
// Detector splits it into batches of its batch_limit) -> tile boxes shifted into
// frame pixels -> the edge-cut rule (edge_cuts.h; MergeOptions::edge_cuts) -> the
// merge (SAHI's get_sliced_prediction: slice and full-frame boxes in one list, one
// postprocess) -> at most options.nms.max_detections boxes. A plan that is the full
// frame alone gives the detector's boxes unmerged.
// Costs: every view is letterboxed to the same model input, so a frame's wall time
// in detect() (views, engine runs, merge) divided by its views is the cost of a view;
// it updates per_tile_ms (and full_frame_ms) as a running average (weight 0.3 for
// the newest; a sample under half the average replaces it, so the first, warm-up
// run does not linger).
#pragma once

#include "tilescope/detect/detector.h"
#include "tilescope/tiling/edge_cuts.h"
#include "tilescope/tiling/merge.h"
#include "tilescope/tiling/plan.h"

#include <vector>

namespace tilescope::tiling {

struct TiledResult {
  std::vector<detect::Detection> detections; // frame pixels, merged, by decreasing score
  SlicePlan plan;                            // what ran
  detect::DetectTimings timings;             // summed over the frame's engine runs (+ merge in postprocess)
};

class TiledDetector {
public:
  // `detector` must outlive this object.
  TiledDetector(detect::Detector& detector, SliceOptions slice, MergeOptions merge);

  // Detects in one frame (8-bit BGR). With SliceMode::kOff it is exactly
  // detector.detect({frame}).
  TiledResult detect(const cv::Mat& frame_bgr, const detect::DetectOptions& options);
  // Runs a given plan (tiles inside the frame; e.g. plan() gated by plan_regions)
  // instead of planning: detect(frame, options) is detect(frame, options,
  // plan(frame.size())). The views it runs update the measured costs like any other
  // frame. An empty plan (no tiles, no full frame) returns no detections without
  // running the engine. Packed canvases (packed_views.h) run as views of their own, each
  // crop's boxes cut and merged like a tile's. Throws Error for a tile or crop outside
  // the frame.
  TiledResult detect(const cv::Mat& frame_bgr, const detect::DetectOptions& options, const SlicePlan& plan);
  // The plan detect() would use for a frame of this size now (the adaptive
  // planner uses the measured costs so far).
  SlicePlan plan(cv::Size frame) const;

  const PlannerContext& context() const { return context_; }
  const SliceOptions& slice_options() const { return slice_; }
  const MergeOptions& merge_options() const { return merge_; }

private:
  void update_costs(const SlicePlan& plan, double run_ms, std::size_t views);

  detect::Detector& detector_;
  SliceOptions slice_;
  MergeOptions merge_;
  PlannerContext context_; // model input and measured costs (running averages)
  // Scratch, reused across frames.
  Merger merger_;
  std::vector<cv::Mat> views_;
  std::vector<cv::Mat> canvas_images_; // packed canvases (plan.canvases), rendered
  std::vector<TileDetection> tile_boxes_;
  std::vector<detect::Detection> candidates_;
};

} // namespace tilescope::tiling
