// COCO bounding-box evaluation with COCO's own rules (pycocotools' COCOeval,
// iouType 'bbox', default parameters), so numbers compare with published ones.
//
//   CocoGroundTruth gt = load_coco_ground_truth("instances.json");
//   std::vector<CocoDetection> dets = load_coco_results("results.json", gt);
//   CocoEvaluation ev = evaluate_coco(gt, dets);
//   std::cout << format_summary_text(ev.summary());   // the 12 lines pycocotools prints
//
// Parameters are COCO's defaults and fixed: IoU thresholds 0.50:0.05:0.95 (T=10),
// recall thresholds 0:0.01:1 (R=101), area ranges all / small [0, 32²] /
// medium [32², 96²] / large [96², 1e10] (K categories, A=4), maxDets 1, 10, 100 (M=3).
//
// Boxes are COCO's [x, y, width, height] in image pixels (x right, y down).
// Loading throws tilescope::Error naming the file, the field (with its index) and
// what is wrong. Nothing here keeps global state; all functions are thread-safe.
#pragma once

#include "tilescope/detect/detection.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tilescope::eval {

// COCO's [x, y, width, height], image pixels.
struct CocoBox {
  double x = 0, y = 0, w = 0, h = 0;
  friend bool operator==(const CocoBox&, const CocoBox&) = default;
};

// A detector box (corners) as a COCO box.
CocoBox to_coco_box(const detect::BoxXYXY& box);

struct CocoImage {
  std::int64_t id = 0;
  std::string file_name;     // may be empty
  int width = 0, height = 0; // 0 when the file does not say
};

struct CocoCategory {
  std::int64_t id = 0;
  std::string name;
};

struct CocoAnnotation {
  std::int64_t id = 0; // the file's 'id', or its position + 1 when absent
  std::int64_t image_id = 0;
  std::int64_t category_id = 0;
  CocoBox bbox;
  // Area that decides small/medium/large: the file's 'area' (for COCO itself the
  // segmentation mask's area, not the box's), or bbox w*h when the file has none.
  double area = 0;
  bool iscrowd = false;
  // The optional 'ignore' field is read but, exactly as in pycocotools (whose
  // _prepare() overwrites it with iscrowd), does not affect evaluation.
  bool ignore = false;
};

struct CocoGroundTruth {
  std::string source; // file name (or "<memory>") for messages
  std::vector<CocoImage> images;
  std::vector<CocoCategory> categories;
  std::vector<CocoAnnotation> annotations;

  // nullptr when absent. Linear search: for occasional lookups, not loops.
  const CocoImage* find_image(std::int64_t id) const;
  const CocoCategory* find_category(std::int64_t id) const;
};

// One entry of a COCO results file.
struct CocoDetection {
  std::int64_t image_id = 0;
  std::int64_t category_id = 0;
  CocoBox bbox;
  double score = 0;
};

// Reads a COCO instances file: 'images' (id; optional file_name, width, height),
// 'annotations' (id, image_id, category_id, bbox; optional area, iscrowd, ignore)
// and 'categories' (id, name). Ids must be integers and unique; annotations must
// refer to listed images and categories; widths, heights and areas must be >= 0.
CocoGroundTruth load_coco_ground_truth(const std::string& path);
// Same from JSON text; `source` names it in messages.
CocoGroundTruth parse_coco_ground_truth(std::string_view json_text, const std::string& source);

// Reads a COCO results file: a JSON array of {image_id, category_id, bbox, score}
// (other keys ignored). Every image_id must be an image of `gt` (an error lists the
// unknown ones, as pycocotools' loadRes refuses them); category ids unknown to `gt`
// are kept here and skipped by evaluate_coco, as pycocotools does.
std::vector<CocoDetection> load_coco_results(const std::string& path, const CocoGroundTruth& gt);
std::vector<CocoDetection> parse_coco_results(std::string_view json_text, const std::string& source,
                                              const CocoGroundTruth& gt);

// Writers for the two formats (the synth benchmark writes ground truth, detection
// runs write results). Throw tilescope::Error when the file cannot be written.
std::string coco_ground_truth_to_json(const CocoGroundTruth& gt);
void save_coco_ground_truth(const std::string& path, const CocoGroundTruth& gt);
std::string coco_results_to_json(const std::vector<CocoDetection>& detections);
void save_coco_results(const std::string& path, const std::vector<CocoDetection>& detections);

// Area ranges (the A axis), in COCO's order.
enum class AreaRange { kAll = 0, kSmall = 1, kMedium = 2, kLarge = 3 };

// The 12 numbers of pycocotools' summarize(), as fractions; -1 where undefined
// (no ground truth in that setting).
struct CocoSummary {
  double ap = -1, ap50 = -1, ap75 = -1, ap_small = -1, ap_medium = -1, ap_large = -1;
  double ar1 = -1, ar10 = -1, ar100 = -1, ar_small = -1, ar_medium = -1, ar_large = -1;
};

// Per category, area all, maxDets 100; -1 where the category has no ground truth.
struct CategoryResult {
  std::int64_t id = 0;
  std::string name;
  int num_gt = 0;         // non-crowd ground truth boxes
  int num_detections = 0; // detections evaluated (at most 100 per image)
  double ap = -1, ap50 = -1, ap75 = -1, ar100 = -1;
};

class CocoEvaluation {
public:
  static constexpr int kNumIouThresholds = 10;     // T
  static constexpr int kNumRecallThresholds = 101; // R
  static constexpr int kNumAreaRanges = 4;         // A
  static constexpr int kNumMaxDets = 3;            // M
  static constexpr std::array<int, kNumMaxDets> kMaxDets = {1, 10, 100};
  static constexpr int kIou50 = 0, kIou75 = 5; // indices of 0.50 and 0.75

  // The thresholds exactly as numpy's linspace computes them (0.5 + i*0.05, i*0.01).
  static double iou_threshold(int t);
  static double recall_threshold(int r);
  static const char* area_label(AreaRange a); // "all", "small", "medium", "large"

  // The K axis: the ground truth's categories sorted by id.
  int num_categories() const { return static_cast<int>(categories_.size()); }
  const std::vector<CocoCategory>& categories() const { return categories_; }

  // COCOeval.eval['precision'][t, r, k, a, m] and ['recall'][t, k, a, m]:
  // -1 where category k has no ground truth in area range a.
  double precision(int t, int r, int k, AreaRange a, int m) const;
  double recall(int t, int k, AreaRange a, int m) const;

  const CocoSummary& summary() const { return summary_; }
  const std::vector<CategoryResult>& per_category() const { return per_category_; }

  // Interpolated precision at the 101 recall thresholds, maxDets 100, averaged
  // over the categories that have ground truth in area range `a`: at IoU threshold
  // index t, or averaged over all thresholds when t < 0. All -1 when no category
  // has ground truth there.
  std::vector<double> precision_curve(int t, AreaRange a = AreaRange::kAll) const;

  int num_images() const { return num_images_; }
  // Detections skipped because their category is not one of the ground truth's.
  int num_detections_unknown_category() const { return num_unknown_category_; }

private:
  friend CocoEvaluation evaluate_coco(const CocoGroundTruth&, const std::vector<CocoDetection>&);
  std::size_t precision_index(int t, int r, int k, int a, int m) const;
  std::size_t recall_index(int t, int k, int a, int m) const;

  std::vector<CocoCategory> categories_;
  std::vector<double> precision_; // [T][R][K][A][M]
  std::vector<double> recall_;    // [T][K][A][M]
  CocoSummary summary_;
  std::vector<CategoryResult> per_category_;
  int num_images_ = 0;
  int num_unknown_category_ = 0;
};

// COCOeval(gt, dt, 'bbox'): evaluate(), accumulate(), summarize(). Detections on
// images not in `gt` throw tilescope::Error (load_coco_results already checks).
// Cost: one IoU matrix per image and category (at most 100 detections each), one
// sort of all detections per category.
CocoEvaluation evaluate_coco(const CocoGroundTruth& gt, const std::vector<CocoDetection>& detections);

// The 12 metrics in summarize()'s order, with their --json keys
// (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl).
std::vector<std::pair<std::string, double>> summary_entries(const CocoSummary& s);
// The 12 metrics with their definitions (for tables): AP or AR, IoU ("0.50:0.95",
// "0.50", "0.75"), area range and maxDets.
struct SummaryMetric {
  std::string key; // as in summary_entries()
  bool is_ap = true;
  std::string iou;
  AreaRange area = AreaRange::kAll;
  int max_dets = 100;
  double value = -1;
};
std::vector<SummaryMetric> summary_metrics(const CocoSummary& s);
// The 12 lines pycocotools prints, each ending in '\n', e.g.
// " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.123".
std::string format_summary_text(const CocoSummary& s);
// One JSON object (one line, no newline) with the keys of summary_entries().
std::string summary_json(const CocoSummary& s);

} // namespace tilescope::eval
