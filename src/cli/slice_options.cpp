#include "slice_options.h"

#include "tilescope/core/error.h"

#include <cmath>
#include <cstdio>

namespace tilescope::cli {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

} // namespace

void add_slice_options(CLI::App* cmd, SliceArgs& a) {
  const std::string group = "Slicing";
  cmd->add_option("--slice", a.slice,
                  "off | adaptive | sahi-auto | WxH (fixed slices, SAHI's get_slice_bboxes, e.g. 640x640)")
      ->group(group)
      ->capture_default_str();
  cmd->add_option("--overlap", a.overlap, "Overlap ratio of WxH slices, both directions, in [0, 1)")
      ->group(group)
      ->capture_default_str();
  cmd->add_option("--min-object", a.min_object,
                  "Adaptive: smallest object to find, longer side in frame pixels (default 16)")
      ->group(group);
  cmd->add_option("--budget-ms", a.budget_ms,
                  "Adaptive: per-frame latency budget in ms; coarser tiles when the measured cost exceeds it")
      ->group(group);
  auto* on = cmd->add_flag_callback(
      "--full-frame", [&a] { a.full_frame = true; }, "Also detect on the whole frame (default with slicing)");
  auto* off = cmd->add_flag_callback(
      "--no-full-frame", [&a] { a.full_frame = false; }, "Tiles only, no full-frame pass");
  on->group(group)->excludes(off);
  off->group(group);
  cmd->add_option("--merge", a.merge, "How tile boxes are merged: nms | nmm | greedy-nmm")
      ->group(group)
      ->capture_default_str();
  cmd->add_option("--match", a.match,
                  "Match metric for the merge: iou | ios (intersection over the smaller box)")
      ->group(group)
      ->capture_default_str();
  cmd->add_option("--match-threshold", a.match_threshold, "Boxes match when the metric exceeds this")
      ->group(group)
      ->capture_default_str();
  cmd->add_flag("--agnostic-merge", a.agnostic_merge, "Merge boxes of different classes too")->group(group);
  cmd->add_flag_callback(
         "--no-edge-cuts", [&a] { a.edge_cuts = false; },
         "Do not absorb or join boxes cut by inner tile borders, nor split groups (SAHI's merge alone)")
      ->group(group);
  cmd->add_flag_callback(
         "--no-split-groups", [&a] { a.split_groups = false; },
         "Keep a full-frame box around objects that a tile boxed apart (greedy NMM then encloses them)")
      ->group(group);
}

tiling::SliceOptions to_slice_options(const SliceArgs& a) {
  tiling::SliceOptions o;
  try {
    tiling::parse_slice_mode(a.slice, o);
  } catch (const Error& e) {
    throw Error(std::string("--slice: ") + e.what());
  }
  if (!(a.overlap >= 0.0 && a.overlap < 1.0)) {
    throw Error("--overlap " + number(a.overlap) + ": must be in [0, 1)");
  }
  if (a.min_object < 0) throw Error("--min-object " + std::to_string(a.min_object) + ": must be >= 0 pixels");
  if (!(a.budget_ms >= 0.0) || !std::isfinite(a.budget_ms)) {
    throw Error("--budget-ms " + number(a.budget_ms) + ": must be >= 0");
  }
  o.overlap = a.overlap;
  o.min_object_px = a.min_object;
  o.budget_ms = a.budget_ms;
  o.full_frame = a.full_frame;
  return o;
}

tiling::MergeOptions to_merge_options(const SliceArgs& a) {
  tiling::MergeOptions o;
  try {
    o.algorithm = tiling::parse_merge_algorithm(a.merge);
  } catch (const Error& e) {
    throw Error(std::string("--merge: ") + e.what());
  }
  try {
    o.metric = tiling::parse_match_metric(a.match);
  } catch (const Error& e) {
    throw Error(std::string("--match: ") + e.what());
  }
  if (!(a.match_threshold >= 0.0f && a.match_threshold <= 1.0f)) {
    throw Error("--match-threshold " + number(a.match_threshold) + ": must be in [0, 1]");
  }
  o.threshold = a.match_threshold;
  o.class_agnostic = a.agnostic_merge;
  o.edge_cuts = a.edge_cuts;
  o.split_groups = a.split_groups;
  return o;
}

} // namespace tilescope::cli
