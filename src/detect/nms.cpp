#include "tilescope/detect/nms.h"

#include "tilescope/core/error.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace tilescope::detect {
namespace {

// IoU as torchvision.ops.nms computes it (inter / (area_kept + area_other - inter)),
// in double: coordinates are float32, so differences and products are exact and
// the result does not depend on how far the box is from the origin.
inline double overlap(double ax1, double ay1, double ax2, double ay2, double a_area, double bx1, double by1,
                      double bx2, double by2, double b_area) {
  const double w = std::max(0.0, std::min(ax2, bx2) - std::max(ax1, bx1));
  const double h = std::max(0.0, std::min(ay2, by2) - std::max(ay1, by1));
  const double inter = w * h;
  return inter / (a_area + b_area - inter);
}

double signed_area(const BoxXYXY& b) { return (double(b.x2) - b.x1) * (double(b.y2) - b.y1); }

} // namespace

double iou(const BoxXYXY& a, const BoxXYXY& b) {
  const double result =
      overlap(a.x1, a.y1, a.x2, a.y2, signed_area(a), b.x1, b.y1, b.x2, b.y2, signed_area(b));
  return std::isfinite(result) ? std::clamp(result, 0.0, 1.0) : 0.0;
}

void check_nms_options(const NmsOptions& o) {
  const auto unit = [](const char* name, float v) {
    if (!(v >= 0.0f && v <= 1.0f))
      throw Error(std::string(name) + " must be in [0, 1], got " + std::to_string(v));
  };
  unit("conf threshold", o.conf_threshold);
  unit("iou threshold", o.iou_threshold);
  if (o.max_detections < 0)
    throw Error("max detections must be >= 0, got " + std::to_string(o.max_detections));
  if (o.max_candidates < 0)
    throw Error("max candidates must be >= 0, got " + std::to_string(o.max_candidates));
  for (int c : o.classes) {
    if (c < 0) throw Error("class filter: class id " + std::to_string(c) + " is negative");
  }
}

void Nms::run(std::span<const Detection> candidates, const NmsOptions& options,
              std::vector<Detection>& kept) {
  kept.clear();
  if (options.max_detections <= 0) return;

  class_allowed_.clear();
  for (int c : options.classes) {
    if (c < 0) continue;
    if (static_cast<std::size_t>(c) >= class_allowed_.size()) class_allowed_.resize(std::size_t(c) + 1, 0);
    class_allowed_[std::size_t(c)] = 1;
  }
  const bool filter_classes = !options.classes.empty();

  order_.clear();
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const Detection& d = candidates[i];
    if (!(d.score > options.conf_threshold) || d.class_id < 0) continue;
    if (filter_classes &&
        (std::size_t(d.class_id) >= class_allowed_.size() || !class_allowed_[std::size_t(d.class_id)])) {
      continue;
    }
    order_.push_back(static_cast<std::uint32_t>(i));
  }
  // Scores descending, ties by candidate order: a deterministic order that the
  // Python reference (tools/ref_postprocess.py) reproduces with a stable sort.
  std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) {
    return candidates[a].score > candidates[b].score || (candidates[a].score == candidates[b].score && a < b);
  });
  if (order_.size() > static_cast<std::size_t>(options.max_candidates))
    order_.resize(std::size_t(options.max_candidates));

  // Greedy NMS checked against the kept boxes of the candidate's class only: a
  // box survives iff no kept, higher-ranked box of its class overlaps it too much
  // (the same set torchvision's forward suppression keeps).
  const double threshold = options.iou_threshold;
  for (std::uint32_t index : order_) {
    const Detection& d = candidates[index];
    const std::size_t bucket = options.agnostic ? 0 : std::size_t(d.class_id);
    if (bucket >= kept_by_class_.size()) kept_by_class_.resize(bucket + 1);
    std::vector<KeptBox>& same_class = kept_by_class_[bucket];
    const KeptBox box{d.box.x1, d.box.y1, d.box.x2, d.box.y2, signed_area(d.box)};
    const bool suppressed = std::any_of(same_class.begin(), same_class.end(), [&](const KeptBox& k) {
      return overlap(k.x1, k.y1, k.x2, k.y2, k.area, box.x1, box.y1, box.x2, box.y2, box.area) > threshold;
    });
    if (suppressed) continue;
    if (same_class.empty()) used_classes_.push_back(static_cast<int>(bucket));
    same_class.push_back(box);
    kept.push_back(d);
    if (kept.size() == static_cast<std::size_t>(options.max_detections)) break;
  }
  for (int c : used_classes_)
    kept_by_class_[std::size_t(c)].clear();
  used_classes_.clear();
}

std::vector<Detection> non_max_suppression(std::span<const Detection> candidates, const NmsOptions& options) {
  Nms nms;
  std::vector<Detection> kept;
  nms.run(candidates, options, kept);
  return kept;
}

} // namespace tilescope::detect
