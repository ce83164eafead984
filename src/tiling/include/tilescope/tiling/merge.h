// Merging per-tile boxes into one answer per frame (SAHI's postprocess/combine.py).
//
//   MergeOptions m;  // SAHI sliced-prediction defaults: greedy NMM, IoS, 0.5, per class
//   std::vector<Detection> frame_boxes = merge_detections(all_tile_boxes_in_frame, m);
//
// Algorithms over boxes sorted by decreasing score:
//   nms         drop a box matching a kept, higher-scoring box;
//   nmm         non-maximum merging, transitive: a box merges with everything it
//               matches and what those match, into one box;
//   greedy-nmm  each kept box merges the lower-scoring boxes that match it.
// A merge of two boxes yields the enclosing box, the higher score and the class of
// the higher-scoring box. Match metric: IoU, or IoS (intersection over the
// smaller box's area); a pair matches when metric > threshold.
//
// SAHI's exact semantics (sahi/postprocess/combine.py), which merge_detections follows:
//   - order: score descending; equal scores by x1, y1, x2, y2 ascending (SAHI's
//     lexsort tie-break), then input order;
//   - per class unless class_agnostic: boxes of different classes never interact;
//   - nms: a box is suppressed when metric(kept, box) >= threshold (SAHI's
//     `mask = metric < threshold` keeps the rest);
//   - greedy-nmm: each box not yet taken keeps itself and takes every later, untaken
//     box with metric(its own box, other) >= threshold; then, in score order, each
//     taken box is merged into the keeper's growing box when
//     metric(merged so far, taken box) > threshold (SAHI's has_match re-check in
//     GreedyNMMPostprocess), and dropped otherwise;
//   - nmm: like greedy-nmm, but a taken box also takes, for its keeper, the later
//     untaken boxes that match it (transitive chains); keepers are never taken.
//     The same re-check against the growing box follows, in the order the boxes
//     were taken;
//   - merged class: the keeper's when its score is higher, else the taken box's
//     (SAHI's get_merged_category: equal scores give the second box's class).
// Cost: one sort, then O(n^2) box comparisons within a class in the worst case; no
// allocation per box (a few thousand boxes merge in well under a millisecond).
#pragma once

#include "tilescope/detect/detection.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tilescope::tiling {

enum class MergeAlgorithm { kNms, kNmm, kGreedyNmm };
enum class MatchMetric { kIou, kIos };

struct MergeOptions {
  MergeAlgorithm algorithm = MergeAlgorithm::kGreedyNmm;
  MatchMetric metric = MatchMetric::kIos;
  float threshold = 0.5f;
  bool class_agnostic = false;
  // TiledDetector: apply the edge-cut rule (edge_cuts.h) to tile boxes before the
  // merge. false: SAHI's merge alone.
  bool edge_cuts = true;
  // With edge_cuts: drop a full-frame box that a tile saw as separate objects (the group
  // rule, edge_cuts.h). false: the cut rule alone.
  bool split_groups = true;
};

MergeAlgorithm parse_merge_algorithm(const std::string& text); // nms | nmm | greedy-nmm
MatchMetric parse_match_metric(const std::string& text);       // iou | ios

// Intersection over the smaller box's area, in [0, 1]; 0 when either is empty.
double ios(const detect::BoxXYXY& a, const detect::BoxXYXY& b);

// Throws Error naming the field when the threshold is outside [0, 1].
void check_merge_options(const MergeOptions& options);

// Reusable merger: keeps its scratch buffers between calls, so steady-state use
// (one call per frame) does not allocate. Not thread-safe (one per thread).
class Merger {
public:
  // Replaces `merged` with the merged boxes, by decreasing score. Boxes stay in
  // their pixel space. Throws Error for invalid options.
  void run(std::span<const detect::Detection> boxes, const MergeOptions& options,
           std::vector<detect::Detection>& merged);

private:
  struct Item {
    detect::BoxXYXY box;
    double area;
    float score;
    int class_id;
    std::uint32_t index; // position in the input (last tie-break)
    std::uint32_t rank;  // position in the score order over all classes
  };
  std::vector<Item> items_;         // sorted: (class when per class), then rank
  std::vector<std::int32_t> owner_; // per item: keeper position, -1 untaken
  std::vector<std::int32_t> next_;  // nmm: taken-list links, per keeper in take order
  std::vector<std::int32_t> tail_;
  std::vector<std::pair<std::uint32_t, detect::Detection>> kept_; // (rank, merged box)
};

// Merged boxes by decreasing score (one-shot Merger::run).
std::vector<detect::Detection> merge_detections(std::span<const detect::Detection> boxes,
                                                const MergeOptions& options);

} // namespace tilescope::tiling
