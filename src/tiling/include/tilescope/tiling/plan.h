// Slice planning: which rectangles of a frame go through the detector.
//
//   SliceOptions o;  o.mode = SliceMode::kFixed;  o.slice_width = o.slice_height = 640;
//   SlicePlan plan = plan_slices({1920, 1080}, o, PlannerContext::for_input({640, 640}));
//   for (const TileRect& t : plan.tiles) ...          // row by row, in frame pixels
//
// Three planners:
//   fixed      SAHI's get_slice_bboxes, box for box;
//   sahi-auto  SAHI's get_auto_slice_params rule (for comparison);
//   adaptive   ours: tile size from the model input and the smallest object
//              wanted, overlap from the largest object the tiles must hold,
//              fewest tiles that fit the latency budget (README: "Adaptive tiling").
//
// Adaptive tiling (plan_adaptive), the rule
// -----------------------------------------
// Sizes of objects are their longer side in pixels. A detector reliably finds an
// object that spans at least d = 16 model-input pixels (SliceOptions::reliable_input_px):
// two cells of the stride-8 grid of the finest YOLOv8 / NanoDet head; below that the
// object covers fewer cells than the head needs and recall collapses. A view of the
// frame that maps k frame pixels onto one input pixel therefore finds objects of
// d * k frame pixels and more.
//   1. Full frame: letterboxed whole, k_full = max(W / Sw, H / Sh) for a W x H frame and
//      an Sw x Sh model input. It finds objects >= big = d * k_full.
//   2. Wanted: objects >= m = --min-object (default 16 px). If m >= big, the full frame
//      alone finds them: no tiles.
//   3. Tile scale k = m / d, but at least 1/2 (tiles are never upscaled more than 2x:
//      upscaling adds no detail). Tile = (Sw * k) x (Sh * k), the model's aspect, so the
//      letterbox wastes nothing; clamped to the frame. If k >= k_full (or one tile
//      covers the frame) tiles would be no finer than the full frame: no tiles.
//   4. Overlap, per axis: every object the full-frame pass may miss (< big) must lie
//      whole inside some tile, so neighbouring tiles overlap by >= 1.1 * big (10% for box
//      jitter), bounded to [15%, 50%] of the tile. Objects larger than the overlap may be
//      cut by a tile border; the full-frame pass finds them whole, and the edge-cut rule
//      (edge_cuts.h) absorbs or joins the cut copies (the same overlap is kept when the
//      full-frame pass is switched off: the join alone then puts large objects together).
//   5. Grid, per axis of length L with tile t and overlap o: the fewest tiles
//      n = ceil((L - o) / (t - o)) that cover L, spread evenly (tile i starts at
//      round(i * (L - t) / (n - 1)), the last one ends at the edge, no sliver), so the
//      real overlap is >= o. Row by row, like SAHI.
//   6. Full-frame pass: on whenever there is more than one tile (large objects exceed a
//      tile), unless SliceOptions::full_frame says otherwise.
//   7. Budget: predicted = full_frame_ms + tiles * per_tile_ms (measured costs; one is
//      used for the other when only one is known; unknown costs: no budget). While over
//      budget, k grows by 10% (coarser tiles, fewer of them); at k >= k_full the plan is
//      the full frame alone. SlicePlan::reason then says what was given up
//      ("budget 40 ms: smallest reliably found object 22 px instead of 16").
// Deterministic: the same frame size, options and costs give the same plan.
#pragma once

#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tilescope::tiling {

// A tile in frame pixels, integer corners, [x1, x2) x [y1, y2) (SAHI's slice bbox).
struct TileRect {
  int x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  int width() const { return x2 - x1; }
  int height() const { return y2 - y1; }
  cv::Rect rect() const { return {x1, y1, x2 - x1, y2 - y1}; }
  friend bool operator==(const TileRect&, const TileRect&) = default;
};

// A crop of the frame copied into a packed canvas at the canvas's scale (packed_views.h).
struct Placement {
  TileRect crop; // frame pixels
  cv::Point at;  // its top-left corner in the canvas
  friend bool operator==(const Placement&, const Placement&) = default;
};

// One model input holding several crops side by side, gaps filled like the letterbox.
struct PackedCanvas {
  std::vector<Placement> placements;
  double scale = 1.0; // frame pixels per canvas pixel
  friend bool operator==(const PackedCanvas&, const PackedCanvas&) = default;
};

struct SlicePlan {
  std::vector<TileRect> tiles; // in the planner's order (row by row)
  bool full_frame = false;     // also run the whole frame (SAHI's perform_standard_pred)
  // Crops packed into model-input canvases (live gating, packed_views.h); the planners
  // leave it empty.
  std::vector<PackedCanvas> canvases;
  // What the planner expects the frame to cost (adaptive only; 0 when unknown).
  double predicted_ms = 0;
  std::string reason; // one line on why this plan (adaptive: the rule's numbers)
  // Adaptive only (0 elsewhere): the smallest object (longer side, frame pixels) the
  // plan reliably finds, and the least overlap between neighbouring tiles (frame pixels).
  double min_object_px = 0;
  cv::Size min_overlap_px{0, 0};
  // Engine inputs this plan runs: tiles + canvases + the full-frame pass.
  std::size_t views() const { return tiles.size() + canvases.size() + (full_frame ? 1 : 0); }
};

enum class SliceMode { kOff, kFixed, kSahiAuto, kAdaptive };

struct SliceOptions {
  SliceMode mode = SliceMode::kOff;
  int slice_width = 0, slice_height = 0; // kFixed
  double overlap = 0.2;                  // kFixed: overlap ratio, both directions (SAHI's default 0.2)
  // Full-frame pass; unset = the mode's default: off -> (full frame only),
  // fixed and sahi-auto -> true (SAHI's perform_standard_pred=True; like SAHI, only
  // when there is more than one slice), adaptive -> on whenever it tiles.
  std::optional<bool> full_frame;
  int min_object_px = 0; // adaptive: smallest object to find, original pixels (0: planner default)
  double budget_ms = 0;  // adaptive: per-frame latency budget (0: none)
  // adaptive: object size (longer side, model-input pixels) the detector finds
  // reliably (0: kDefaultReliableInputPx).
  int reliable_input_px = 0;
};

inline constexpr int kDefaultMinObjectPx = 16;     // adaptive --min-object when 0
inline constexpr int kDefaultReliableInputPx = 16; // adaptive d: two cells of a stride-8 head

// What the planner knows about the detector.
struct PlannerContext {
  cv::Size model_input{640, 640}; // the model's input (width, height)
  double full_frame_ms = 0;       // measured cost of one full-frame pass (0: unknown)
  double per_tile_ms = 0;         // measured cost per tile in a batch (0: unknown)
  static PlannerContext for_input(cv::Size input) { return PlannerContext{input, 0, 0}; }
};

// SAHI sahi.slicing.get_slice_bboxes(image_height, image_width, slice_height,
// slice_width, auto_slice_resolution=False, overlap_height_ratio, overlap_width_ratio).
// Throws Error for non-positive sizes or ratios outside [0, 1).
std::vector<TileRect> sahi_slice_bboxes(int image_height, int image_width, int slice_height, int slice_width,
                                        double overlap_height_ratio, double overlap_width_ratio);

struct SahiAutoParams {
  int slice_width = 0, slice_height = 0;
  double overlap_width_ratio = 0, overlap_height_ratio = 0;
  // What SAHI slices with: int(slice * ratio) pixels. The "low" band (one slice, the
  // whole image) has ratio 1, so its overlap equals the slice.
  int overlap_width_px = 0, overlap_height_px = 0;
  std::string resolution; // SAHI's band: low | medium | high | ultra-high
};
// SAHI sahi.slicing.get_auto_slice_params(height, width), with its
// calc_resolution_factor, orientation rule and calc_slice_and_overlap_params.
// Throws Error for non-positive sizes.
SahiAutoParams sahi_auto_slice_params(int height, int width);
// The slices SAHI cuts with those parameters (get_slice_bboxes with
// auto_slice_resolution=True and no slice size).
std::vector<TileRect> sahi_auto_slice_bboxes(int height, int width);

// The adaptive planner (rule above). plan_slices calls it for SliceMode::kAdaptive.
SlicePlan plan_adaptive(cv::Size frame, const SliceOptions& options, const PlannerContext& context);

// The plan for one frame. Throws Error naming the option when options are invalid.
SlicePlan plan_slices(cv::Size frame, const SliceOptions& options, const PlannerContext& context);

// "off" | "adaptive" | "sahi-auto" | "WxH" (e.g. "640x640"; "640" means 640x640) into
// options.mode (and slice_width/height). Throws Error naming the text when it is none of these.
void parse_slice_mode(const std::string& text, SliceOptions& options);

} // namespace tilescope::tiling
