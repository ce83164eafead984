// Small builders for hand-made COCO cases in the eval tests.
#pragma once

#include "tilescope/eval/coco.h"

#include <string>
#include <vector>

namespace tilescope::eval::test {

// pycocotools divides by tp + fp + 2^-52, so a "perfect" precision is
// 1 / (1 + 2^-52) = 1 - 2.2e-16, and means add ~1e-16 of rounding per term. 1e-12
// is far above that and far below any hand-computed difference tested (>= 1e-3).
constexpr double kTol = 1e-12;

class Case {
public:
  Case() { gt_.source = "<test>"; }

  Case& image(std::int64_t id) {
    gt_.images.push_back({id, "img" + std::to_string(id) + ".jpg", 640, 480});
    return *this;
  }
  Case& category(std::int64_t id, const std::string& name = "") {
    gt_.categories.push_back({id, name.empty() ? "cat" + std::to_string(id) : name});
    return *this;
  }
  // A ground-truth box; area < 0 means w*h.
  Case& gt(std::int64_t image, std::int64_t cat, CocoBox box, double area = -1, bool crowd = false) {
    CocoAnnotation a;
    a.id = static_cast<std::int64_t>(gt_.annotations.size()) + 1;
    a.image_id = image;
    a.category_id = cat;
    a.bbox = box;
    a.area = area < 0 ? box.w * box.h : area;
    a.iscrowd = crowd;
    gt_.annotations.push_back(a);
    return *this;
  }
  Case& dt(std::int64_t image, std::int64_t cat, CocoBox box, double score) {
    dets_.push_back({image, cat, box, score});
    return *this;
  }

  CocoEvaluation run() const { return evaluate_coco(gt_, dets_); }
  CocoGroundTruth& ground_truth() { return gt_; }
  std::vector<CocoDetection>& detections() { return dets_; }

private:
  CocoGroundTruth gt_;
  std::vector<CocoDetection> dets_;
};

} // namespace tilescope::eval::test
