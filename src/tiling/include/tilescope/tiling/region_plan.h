// Region gating: of a frame's full slice plan, keep only the tiles needed to look at
// some regions of interest (live cameras: motion regions and the predicted boxes of
// tracked objects), so compute goes where something moves or is being followed.
//
//   SlicePlan full = tiled.plan(frame.size());
//   SlicePlan gated = plan_regions(frame.size(), full, regions);   // a subset of `full`
//   TiledResult r = tiled.detect(frame, options, gated);
//
// The rule
// --------
//   0. Regions are clamped to the frame (after RegionPlanOptions::padding_px on every
//      side); empty ones are ignored. No regions left: the empty plan (no tiles, no full
//      frame): the caller decides whether to run anything.
//   1. A full plan without tiles (the full frame alone): any region -> the full frame.
//   2. A region holding an object the full-frame pass finds on its own (object_px >=
//      RegionPlanOptions::full_frame_finds_px, when the full plan has that pass) needs
//      the full frame and no tile: adaptive plans tile for objects the full frame misses
//      (plan.h, steps 1-4), so a large object is the full frame's job. A region's object
//      size is Region::object_px, or, when 0, the region's longer side before padding.
//      (full_frame_finds_px = 0, the default: this step never applies.)
//      With RegionPlanOptions::large_in_kept_tiles, a large region lying whole inside a
//      tile that step 3 or 4 keeps anyway is looked at there instead (step 2b): the full
//      frame runs only for large regions no kept tile holds. When step 3's choice would
//      still need the full frame for them (and no region forces it, step 4), the subsets
//      of the plan's tiles (plans of up to 12 tiles) are searched for one that holds every
//      small region and runs strictly fewer views, the full frame counted when some large
//      region lies in none of its tiles; among the cheapest, the most margin (summed over
//      the regions, each at its best tile). No cheaper subset: step 3's choice stays.
//   3. Any other region that lies whole inside at least one tile of the full plan needs
//      exactly one of them. Regions are served most constrained first (fewest such tiles;
//      ties in the given order): a tile already kept that holds the region whole is reused
//      (the one with the most margin), else the holding tile with the most margin is kept.
//      Margin = the least distance from the region to a tile border, over the borders
//      that cut the frame (a tile side on the frame's edge cuts nothing, so it does not
//      count). Reusing first keeps the set small when regions are many (a busy scene);
//      with RegionPlanOptions::reuse_kept_tiles = false each region takes its own
//      most-margin tile.
//   4. A region inside no tile (larger than a tile, or straddling tiles wider than their
//      overlap): every tile it intersects, and the full-frame pass when the full plan has
//      one (it is a large object: the full frame finds it whole, the tiles find what is
//      small inside it).
//   5. Kept tiles come in the full plan's order (row by row); the same inputs give the
//      same plan.
// The result keeps the full plan's min_object_px and min_overlap_px (the kept tiles are
// the same tiles); predicted_ms is 0 (the planner's prediction was for all of them), and
// reason says what was kept ("regions: 3 of 6 tiles for 4 regions").
//
// What step 2 gives up: a small object moving beside a large one can share its motion
// region and then gets no tile until the object is tracked or the caller runs the whole
// plan (live cameras sweep every few frames for this reason).
#pragma once

#include "tilescope/tiling/packed_views.h"
#include "tilescope/tiling/plan.h"

#include <opencv2/core.hpp>
#include <vector>

namespace tilescope::tiling {

struct RegionPlanOptions {
  int padding_px = 0;           // each region grows by this on every side before planning (>= 0)
  bool reuse_kept_tiles = true; // rule step 3
  // Objects whose longer side (frame pixels) is at least this are found by the full-frame
  // pass alone (rule step 2; full_frame_finds_px() below). 0: never rely on it.
  double full_frame_finds_px = 0;
  // Rule step 2b: a large region that lies whole inside a tile kept for the other regions
  // is looked at there, at the tile's finer scale; the full frame runs only for large
  // regions no kept tile holds. false: every large region runs the full frame.
  bool large_in_kept_tiles = false;
};

// A place the detector must look at.
struct Region {
  cv::Rect area;        // frame pixels, [x, x + width) x [y, y + height); must lie whole in a view
  double object_px = 0; // longer side of the object in it (frame pixels); 0: the area's longer side
};

// The gated plan (rule above). `full_plan` is the plan for a frame of size `frame`
// (tiles inside it). Throws Error for a negative padding or object size.
SlicePlan plan_regions(cv::Size frame, const SlicePlan& full_plan, const std::vector<Region>& regions,
                       const RegionPlanOptions& options = {});
// Regions given as rectangles alone (object_px 0).
SlicePlan plan_regions(cv::Size frame, const SlicePlan& full_plan, const std::vector<cv::Rect>& regions,
                       const RegionPlanOptions& options = {});

// The packed variant (packed_views.h): the regions step 3 or 4 would give tiles (those
// step 2 leaves to the full frame keep the rule) become crops, each moved whole into the
// frame (a region partly outside, e.g. a track predicted past the edge, keeps its size
// along the edge), joined (join_crops, join_px) and packed (pack_crops); crops too large
// for a canvas follow the rule above. The full plan when that runs no more views.
SlicePlan plan_regions_packed(cv::Size frame, const SlicePlan& full_plan, const std::vector<Region>& regions,
                              const RegionPlanOptions& options, const PackOptions& pack, int join_px);

// The smallest object (longer side, frame pixels) the full-frame pass of a `frame`-sized
// image finds reliably with a `model_input` detector: the adaptive planner's step 1,
// reliable_input_px * max(W / Sw, H / Sh) (reliable_input_px 0: kDefaultReliableInputPx).
double full_frame_finds_px(cv::Size frame, cv::Size model_input, int reliable_input_px = 0);

} // namespace tilescope::tiling
