#include "tilescope/verify/detection_compare.h"

#include "tilescope/eval/coco.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

namespace tilescope::verify {

DetectionComparer::DetectionComparer(int num_classes, float conf_threshold)
    : num_classes_(num_classes), conf_threshold_(conf_threshold) {}

void DetectionComparer::add(const std::vector<detect::Detection>& reference,
                            const std::vector<detect::Detection>& candidate, bool reference_capped) {
  if (reference_capped) {
    ++capped_images_;
    return;
  }
  images_.push_back({reference, candidate});
}

DetectionComparison DetectionComparer::result() const {
  DetectionComparison out;
  out.images = static_cast<int>(images_.size());
  out.capped_images = capped_images_;
  double iou_sum = 0, delta_sum = 0;

  eval::CocoGroundTruth gt;
  gt.source = "reference detections";
  for (int c = 0; c < num_classes_; ++c)
    gt.categories.push_back({c, "class" + std::to_string(c)});
  std::vector<eval::CocoDetection> results;

  for (std::size_t i = 0; i < images_.size(); ++i) {
    const Image& image = images_[i];
    const auto image_id = static_cast<std::int64_t>(i + 1);
    gt.images.push_back({image_id, "", 0, 0});
    // Greedy by the reference's score, each candidate used once: COCO's rule.
    std::vector<std::size_t> order(image.reference.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return image.reference[a].score > image.reference[b].score;
    });
    std::vector<bool> used(image.candidate.size(), false);
    for (std::size_t r : order) {
      const detect::Detection& ref = image.reference[r];
      ++out.reference;
      double best_iou = kMatchIou;
      std::optional<std::size_t> best;
      for (std::size_t c = 0; c < image.candidate.size(); ++c) {
        const detect::Detection& cand = image.candidate[c];
        if (used[c] || cand.class_id != ref.class_id) continue;
        const double iou = detect::iou(ref.box, cand.box);
        if (iou >= best_iou) best_iou = iou, best = c;
      }
      if (!best) {
        ++out.missed;
        continue;
      }
      used[*best] = true;
      ++out.matched;
      iou_sum += best_iou;
      const double delta = std::abs(static_cast<double>(image.candidate[*best].score) - ref.score);
      delta_sum += delta;
      out.max_score_delta = std::max(out.max_score_delta, delta);
    }
    for (std::size_t c = 0; c < image.candidate.size(); ++c) {
      if (image.candidate[c].score <= conf_threshold_) continue;
      ++out.candidate;
      out.extra += used[c] ? 0 : 1;
    }

    for (const detect::Detection& ref : image.reference) {
      eval::CocoAnnotation a;
      a.id = static_cast<std::int64_t>(gt.annotations.size() + 1);
      a.image_id = image_id;
      a.category_id = ref.class_id;
      a.bbox = eval::to_coco_box(ref.box);
      a.area = a.bbox.w * a.bbox.h;
      gt.annotations.push_back(a);
    }
    for (const detect::Detection& cand : image.candidate)
      results.push_back({image_id, cand.class_id, eval::to_coco_box(cand.box), cand.score});
  }
  if (out.matched > 0) {
    out.mean_iou = iou_sum / out.matched;
    out.mean_score_delta = delta_sum / out.matched;
  }
  if (!gt.annotations.empty()) out.map50 = eval::evaluate_coco(gt, results).summary().ap50;
  return out;
}

} // namespace tilescope::verify
