// Boxes cut by a tile edge. A tile sees only part of an object that crosses one of
// its inner borders (a border that is not the frame's), and the detector boxes that
// part: a partial copy. Left alone, partial copies survive the merge as extra boxes
// or, with IoU matching, beside the whole one. The rule, applied before the merge:
//
//   cut      a tile's box is cut on a side when that side lies within tolerance_px of
//            an inner border of its tile (TiledDetector: 12 model-input pixels, 1.5 cells
//            of a stride-8 head: a detector boxes the confident part of a cut object,
//            not always up to the border. Measured: NanoDet-m with 416 slices over
//            messi5.jpg boxes the player, cut at x = 132, from x = 142).
//   absorb   a cut box lies inside an uncut box (intersection / cut box's area >=
//            containment) of the same class, and the uncut box reaches at least as far
//            on every cut side (the object goes on past the border, so its whole copy
//            must too): the cut box is a partial copy; it is dropped, and the whole box
//            keeps its corners and class (the whole view wins: growing it to enclose
//            the parts pulls in what a tile boxed around a cut object, e.g. a person
//            behind it) and takes the higher score. With overlap >= the object's size
//            some tile (or the full-frame pass) holds a whole copy.
//   join     two cut boxes from different tiles that face each other across the
//            shared strip (one cut on its right, the other on its left, or bottom/top),
//            both spanning the strip between the two borders, with a 1-D IoU along the
//            border >= along_border, and each the other's best such partner, are the
//            two halves of one object too large for the overlap: they are joined
//            (enclosing box, higher score, its class), transitively (an object over 4
//            tiles). One-to-one per border, because a tile that sees a large object cut
//            often boxes several of its parts (measured: NanoDet-m boxes arms, legs and
//            torso of the player in messi5.jpg upscaled 2x in 416 slices), and chaining
//            them all snowballs into one box over the neighbours.
//   group    (MergeOptions::split_groups) a full-frame box around several objects: the
//            coarse pass often boxes two people side by side as one, and greedy NMM with
//            IoS then grows every tile box of either person into that pair box (each lies
//            inside it), so two people become one object. When one tile boxed them apart
//            (two uncut boxes of the class inside the full-frame box, each a fair share of
//            it, overlapping little, together spanning it) and boxed nothing matching the
//            full-frame box whole, the finer view is believed: the full-frame box is
//            dropped. EdgeCutOptions has the thresholds; README "Groups" the measured
//            effect (frame 626 of vtest.avi: tiling.TiledDetectorTest.TwoPeople...).
// Group runs first, then absorb, then join over the cut boxes that remain. Everything left then
// goes through the ordinary merge (merge.h).
#pragma once

#include "tilescope/detect/detection.h"
#include "tilescope/tiling/merge.h"
#include "tilescope/tiling/plan.h"

#include <cstdint>
#include <opencv2/core.hpp>
#include <span>
#include <vector>

namespace tilescope::tiling {

// Sides of a box (bit flags).
enum CutSide : std::uint8_t { kCutLeft = 1, kCutTop = 2, kCutRight = 4, kCutBottom = 8 };

// A detection in frame pixels with where it came from.
struct TileDetection {
  detect::Detection detection; // box_in_frame
  int tile = -1;               // tile index in the plan; -1: the full-frame pass
  std::uint8_t cut_sides = 0;  // CutSide bits
};

struct EdgeCutOptions {
  float tolerance_px = 2.0f;   // frame pixels
  float containment = 0.6f;    // absorb: intersection / cut box's area
  float along_border = 0.5f;   // join: 1-D IoU of the two boxes along the border
  bool class_agnostic = false; // true: boxes of any classes interact
  // Group (MergeOptions::split_groups): a full-frame box is dropped when one tile holds
  // two boxes of its class, each uncut, >= group_containment inside it and >=
  // group_member_share of its area, apart (IoU < group_apart_iou) and together spanning
  // it (their enclosing box's IoU with it >= group_span_iou), and that tile has no box
  // with IoU >= 0.5 with it.
  bool split_groups = true;
  float group_containment = 0.8f;
  float group_member_share = 0.2f;
  float group_apart_iou = 0.3f;
  float group_span_iou = 0.6f;
};

// CutSide bits of `box_in_tile` (tile pixels) against the inner borders of `tile`
// in a frame of `frame` size.
std::uint8_t cut_sides(const detect::BoxXYXY& box_in_tile, const TileRect& tile, cv::Size frame,
                       float tolerance_px);

// Applies absorb and join (above) and appends the surviving detections to `out`
// (not cleared), in input order, joined boxes at the place of their first member.
void resolve_edge_cuts(std::span<const TileDetection> detections, const EdgeCutOptions& options,
                       std::vector<detect::Detection>& out);

// A frame's tile (and full-frame) boxes into its answer, as TiledDetector does it: the
// rule above (when merge.edge_cuts, with tolerance_px, merge's class_agnostic and
// split_groups), then
// merge's algorithm. `candidates` is scratch kept by the caller between frames.
void merge_tile_detections(std::span<const TileDetection> detections, const MergeOptions& merge,
                           float tolerance_px, Merger& merger, std::vector<detect::Detection>& candidates,
                           std::vector<detect::Detection>& merged);

} // namespace tilescope::tiling
