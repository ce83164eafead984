// Non-maximum suppression with the semantics of Ultralytics'
// non_max_suppression() (ultralytics/utils/ops.py) for single-label detection:
//   1. keep candidates with score > conf_threshold (strict), and of `classes` when given;
//   2. sort by score, descending (ties: earlier candidate first), keep the first
//      max_candidates (Ultralytics' max_nms);
//   3. greedy NMS per class (or across classes when agnostic): a box is dropped
//      when its IoU with a kept, higher-ranked box of the same class is
//      > iou_threshold (strict, as torchvision.ops.nms);
//   4. at most max_detections boxes, by decreasing score.
// Per-class NMS is exact: Ultralytics' class offset trick (boxes + class * 7680)
// gives the same result up to float rounding of the shifted coordinates.
#pragma once

#include "tilescope/detect/detection.h"

#include <cstdint>
#include <span>
#include <vector>

namespace tilescope::detect {

struct NmsOptions {
  float conf_threshold = 0.25f; // keep score > this
  float iou_threshold = 0.45f;  // suppress IoU > this
  int max_detections = 300;     // per image
  bool agnostic = false;        // true: one box per place whatever its class
  std::vector<int> classes;     // keep only these class ids; empty: all
  int max_candidates = 30000;   // top-scoring candidates that enter NMS (Ultralytics max_nms)
};

// Throws Error naming the field when a value is out of range (thresholds outside
// [0, 1], negative counts).
void check_nms_options(const NmsOptions& options);

// Reusable NMS: keeps its scratch buffers between calls, so steady-state runs
// do not allocate. Cost: one sort, then per candidate one IoU per kept box of
// its class. Not thread-safe (one per thread).
class Nms {
public:
  // Replaces `kept` with the surviving candidates, by decreasing score. Boxes stay
  // in the candidates' pixel space. Class ids must be >= 0.
  void run(std::span<const Detection> candidates, const NmsOptions& options, std::vector<Detection>& kept);

private:
  struct KeptBox {
    double x1, y1, x2, y2, area;
  };
  std::vector<std::uint32_t> order_;
  std::vector<std::vector<KeptBox>> kept_by_class_;
  std::vector<int> used_classes_;
  std::vector<char> class_allowed_;
};

// One-shot convenience around Nms::run.
std::vector<Detection> non_max_suppression(std::span<const Detection> candidates, const NmsOptions& options);

} // namespace tilescope::detect
