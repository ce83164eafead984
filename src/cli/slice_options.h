// The slicing and merging options shared by `detect`, `eval` and `tiles`: which
// slice planner, its parameters, and how per-tile boxes are merged (issue #4).
#pragma once

#include "tilescope/tiling/merge.h"
#include "tilescope/tiling/plan.h"

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace tilescope::cli {

struct SliceArgs {
  std::string slice = "off";      // off | adaptive | sahi-auto | WxH
  double overlap = 0.2;           // WxH slices: overlap ratio (SAHI's default)
  int min_object = 0;             // adaptive: smallest object to find, px (0: 16)
  double budget_ms = 0;           // adaptive: per-frame latency budget (0: none)
  std::optional<bool> full_frame; // --full-frame / --no-full-frame; unset: the planner's default
  std::string merge = "greedy-nmm", match = "ios";
  float match_threshold = 0.5f;
  bool agnostic_merge = false;
  bool edge_cuts = true;    // --no-edge-cuts: SAHI's merge alone
  bool split_groups = true; // --no-split-groups: the cut rule without the group rule
};

// Adds --slice --overlap --min-object --budget-ms --full-frame --no-full-frame --merge
// --match --match-threshold --agnostic-merge --no-edge-cuts to `cmd`, with `args` as
// defaults. Values are checked by to_slice_options / to_merge_options.
void add_slice_options(CLI::App* cmd, SliceArgs& args);

// Throw Error naming the flag and the value when one is invalid.
tiling::SliceOptions to_slice_options(const SliceArgs& args);
tiling::MergeOptions to_merge_options(const SliceArgs& args);

} // namespace tilescope::cli
