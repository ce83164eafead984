// COCOeval for boxes: evaluate() (per image and category: IoU, greedy matching per
// IoU threshold and area range), accumulate() (precision/recall over all images)
// and the per-category numbers. Every rule below is pycocotools' (cocoeval.py,
// maskApi.c bbIou); the comments cite which, because any deviation changes AP.
#include "coco_summary.h"
#include "tilescope/core/error.h"
#include "tilescope/eval/coco.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

namespace tilescope::eval {
namespace {

constexpr int kT = CocoEvaluation::kNumIouThresholds;
constexpr int kR = CocoEvaluation::kNumRecallThresholds;
constexpr int kA = CocoEvaluation::kNumAreaRanges;
constexpr int kM = CocoEvaluation::kNumMaxDets;
constexpr int kMaxDetsLast = CocoEvaluation::kMaxDets[kM - 1];

// Params.areaRng: [0², 1e5²], [0², 32²], [32², 96²], [96², 1e5²]; both ends inclusive
// (an object is outside when area < lo or area > hi, so 32² is small and medium).
constexpr double kAreaLo[kA] = {0.0, 0.0, 32.0 * 32.0, 96.0 * 96.0};
constexpr double kAreaHi[kA] = {1e10, 32.0 * 32.0, 96.0 * 96.0, 1e10};

bool outside(double area, int a) { return area < kAreaLo[a] || area > kAreaHi[a]; }

// maskApi.c bbIou, same operation order. A crowd region counts the intersection
// over the detection's own area: a detection inside a crowd matches it fully.
double box_iou(const CocoBox& d, const CocoBox& g, bool crowd) {
  const double w = std::fmin(d.w + d.x, g.w + g.x) - std::fmax(d.x, g.x);
  if (w <= 0) return 0.0;
  const double h = std::fmin(d.h + d.y, g.h + g.y) - std::fmax(d.y, g.y);
  if (h <= 0) return 0.0;
  const double i = w * h;
  const double da = d.w * d.h;
  const double u = crowd ? da : da + g.w * g.h - i;
  return i / u;
}

// What one detection counts as, per area range and IoU threshold.
enum class DetState : std::uint8_t { kFalsePositive, kTruePositive, kIgnored };

// A detection that survived the per-image cut to maxDets[-1] = 100.
struct EvalDet {
  double score;
  int image; // image index (ids sorted)
  int rank;  // position among its image's detections of this category, by score
};

class Evaluator {
public:
  Evaluator(const CocoGroundTruth& gt, const std::vector<CocoDetection>& detections)
      : gt_(gt), dets_in_(detections) {}

  void run(std::vector<CocoCategory>& categories, std::vector<double>& precision, std::vector<double>& recall,
           int& num_unknown_category) {
    index_axes();
    categories = sorted_categories_;
    group_and_match(num_unknown_category);
    accumulate(precision, recall);
  }

  int num_images() const { return static_cast<int>(image_ids_.size()); }
  int npig(int k, int a) const { return npig_[static_cast<std::size_t>(k) * kA + a]; }
  int dets_of(int k) const { return static_cast<int>(by_category_[static_cast<std::size_t>(k)].size()); }

private:
  // COCOeval sorts imgIds and catIds; the K axis and the order images are
  // concatenated in accumulate() both follow from that.
  void index_axes() {
    for (const CocoImage& im : gt_.images)
      image_ids_.push_back(im.id);
    std::sort(image_ids_.begin(), image_ids_.end());
    for (std::size_t i = 0; i < image_ids_.size(); ++i)
      image_index_[image_ids_[i]] = static_cast<int>(i);
    sorted_categories_ = gt_.categories;
    std::stable_sort(sorted_categories_.begin(), sorted_categories_.end(),
                     [](const CocoCategory& a, const CocoCategory& b) { return a.id < b.id; });
    for (std::size_t k = 0; k < sorted_categories_.size(); ++k)
      category_index_[sorted_categories_[k].id] = static_cast<int>(k);
    npig_.assign(sorted_categories_.size() * kA, 0);
    by_category_.assign(sorted_categories_.size(), {});
  }

  int image_of(std::int64_t id, const char* what, std::size_t i) const {
    auto it = image_index_.find(id);
    if (it == image_index_.end())
      throw Error(std::string(what) + " " + std::to_string(i) + ": image id " + std::to_string(id) +
                  " is not in " + gt_.source);
    return it->second;
  }

  // Buckets ground truth and detections by (category, image) cell, keeping file
  // order inside a cell (COCO's _gts/_dts lists), then evaluates each cell.
  void group_and_match(int& num_unknown_category) {
    const auto num_images = static_cast<std::int64_t>(image_ids_.size());
    std::vector<std::pair<std::int64_t, int>> gt_cells, dt_cells; // (cell, index in input)
    for (std::size_t i = 0; i < gt_.annotations.size(); ++i) {
      const CocoAnnotation& a = gt_.annotations[i];
      auto k = category_index_.find(a.category_id);
      if (k == category_index_.end())
        throw Error(gt_.source + ": annotations[" + std::to_string(i) + "]: category " +
                    std::to_string(a.category_id) + " is not in 'categories'");
      gt_cells.emplace_back(k->second * num_images + image_of(a.image_id, "annotation", i),
                            static_cast<int>(i));
    }
    num_unknown_category = 0;
    for (std::size_t i = 0; i < dets_in_.size(); ++i) {
      const CocoDetection& d = dets_in_[i];
      const int image = image_of(d.image_id, "detection", i);
      if (!std::isfinite(d.score))
        throw Error("detection " + std::to_string(i) + ": score is not a finite number");
      auto k = category_index_.find(d.category_id);
      // getAnnIds(catIds=...) in _prepare() drops results of other categories.
      if (k == category_index_.end()) {
        ++num_unknown_category;
        continue;
      }
      dt_cells.emplace_back(k->second * num_images + image, static_cast<int>(i));
    }
    // The pairs are unique, so sorting them is stable on the input order.
    std::sort(gt_cells.begin(), gt_cells.end());
    std::sort(dt_cells.begin(), dt_cells.end());

    std::size_t gi = 0, di = 0;
    std::vector<int> gts, dts;
    while (gi < gt_cells.size() || di < dt_cells.size()) {
      const std::int64_t cell = std::min(gi < gt_cells.size() ? gt_cells[gi].first : INT64_MAX,
                                         di < dt_cells.size() ? dt_cells[di].first : INT64_MAX);
      gts.clear();
      dts.clear();
      for (; gi < gt_cells.size() && gt_cells[gi].first == cell; ++gi)
        gts.push_back(gt_cells[gi].second);
      for (; di < dt_cells.size() && dt_cells[di].first == cell; ++di)
        dts.push_back(dt_cells[di].second);
      evaluate_cell(static_cast<int>(cell / num_images), static_cast<int>(cell % num_images), gts, dts);
    }
  }

  // COCOeval.computeIoU + evaluateImg for one image and category, all area ranges.
  void evaluate_cell(int k, int image, const std::vector<int>& gt_ids, std::vector<int>& dt_ids) {
    // Highest score first, stable (numpy mergesort), then keep maxDets[-1].
    std::stable_sort(dt_ids.begin(), dt_ids.end(),
                     [&](int a, int b) { return dets_in_[a].score > dets_in_[b].score; });
    if (dt_ids.size() > static_cast<std::size_t>(kMaxDetsLast)) dt_ids.resize(kMaxDetsLast);
    const std::size_t num_d = dt_ids.size(), num_g = gt_ids.size();

    iou_.assign(num_d * num_g, 0.0);
    for (std::size_t d = 0; d < num_d; ++d)
      for (std::size_t g = 0; g < num_g; ++g) {
        const CocoAnnotation& ann = gt_.annotations[gt_ids[g]];
        iou_[d * num_g + g] = box_iou(dets_in_[dt_ids[d]].bbox, ann.bbox, ann.iscrowd);
      }

    const std::size_t first_state = states_.size() / (kA * kT);
    states_.resize(states_.size() + num_d * kA * kT);
    for (std::size_t d = 0; d < num_d; ++d) {
      by_category_[k].push_back(static_cast<int>(evaldets_.size()));
      evaldets_.push_back({dets_in_[dt_ids[d]].score, image, static_cast<int>(d)});
    }

    std::vector<int> order(num_g);
    std::vector<char> ignore(num_g), taken(num_g);
    for (int a = 0; a < kA; ++a) {
      // _prepare(): ignore = iscrowd; evaluateImg(): or area outside the range.
      for (std::size_t g = 0; g < num_g; ++g) {
        const CocoAnnotation& ann = gt_.annotations[gt_ids[g]];
        ignore[g] = ann.iscrowd || outside(ann.area, a);
        npig_[static_cast<std::size_t>(k) * kA + a] += ignore[g] ? 0 : 1;
      }
      // Ignored ground truth last, stable: matching prefers real objects.
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return ignore[x] < ignore[y]; });

      for (int t = 0; t < kT; ++t) {
        std::fill(taken.begin(), taken.end(), 0);
        for (std::size_t d = 0; d < num_d; ++d) {
          // Best gt with IoU >= threshold; a tie goes to the later gt (the test is
          // `iou < best: skip`). Once a real gt is matched, ignored ones cannot win.
          double best = std::min(iou_threshold(t), 1 - 1e-10);
          int m = -1;
          for (std::size_t j = 0; j < num_g; ++j) {
            const int g = order[j];
            if (taken[j] && !gt_.annotations[gt_ids[g]].iscrowd) continue; // crowds match many
            if (m > -1 && !ignore[order[m]] && ignore[g]) break;
            const double v = iou_[d * num_g + g];
            if (v < best) continue;
            best = v;
            m = static_cast<int>(j);
          }
          DetState s;
          if (m > -1) {
            taken[m] = 1;
            s = ignore[order[m]] ? DetState::kIgnored : DetState::kTruePositive;
          } else {
            // Unmatched detections outside the area range are not counted against it.
            const CocoBox& b = dets_in_[dt_ids[d]].bbox;
            s = outside(b.w * b.h, a) ? DetState::kIgnored : DetState::kFalsePositive;
          }
          states_[(first_state + d) * kA * kT + a * kT + t] = s;
        }
      }
    }
  }

  static double iou_threshold(int t) { return CocoEvaluation::iou_threshold(t); }

  // COCOeval.accumulate().
  void accumulate(std::vector<double>& precision, std::vector<double>& recall) {
    const std::size_t num_k = sorted_categories_.size();
    precision.assign(static_cast<std::size_t>(kT) * kR * num_k * kA * kM, -1.0);
    recall.assign(static_cast<std::size_t>(kT) * num_k * kA * kM, -1.0);
    std::vector<double> rc, pr;
    for (std::size_t k = 0; k < num_k; ++k) {
      // One sort per category. The list is in (image, rank) order already, so a
      // stable sort by score reproduces numpy's mergesort of the concatenation.
      std::vector<int>& order = by_category_[k];
      std::stable_sort(order.begin(), order.end(),
                       [&](int x, int y) { return evaldets_[x].score > evaldets_[y].score; });
      for (int a = 0; a < kA; ++a) {
        const int num_pos = npig(static_cast<int>(k), a);
        if (num_pos == 0) continue; // no ground truth: stays -1
        for (int m = 0; m < kM; ++m) {
          const int max_det = CocoEvaluation::kMaxDets[m];
          for (int t = 0; t < kT; ++t) {
            rc.clear();
            pr.clear();
            double tp = 0, fp = 0;
            for (int e : order) {
              if (evaldets_[e].rank >= max_det) continue;
              const auto s = states_[static_cast<std::size_t>(e) * kA * kT + a * kT + t];
              // Ignored detections keep their place in the cumulative sums.
              tp += s == DetState::kTruePositive ? 1 : 0;
              fp += s == DetState::kFalsePositive ? 1 : 0;
              rc.push_back(tp / num_pos);
              pr.push_back(tp / (fp + tp + 0x1p-52)); // np.spacing(1), as pycocotools adds
            }
            const std::size_t nd = rc.size();
            const std::size_t ri = (((static_cast<std::size_t>(t) * num_k + k) * kA + a) * kM + m);
            recall[ri] = nd ? rc.back() : 0.0;
            // Precision envelope: non-increasing from the right.
            for (std::size_t i = nd; i-- > 1;)
              pr[i - 1] = std::max(pr[i - 1], pr[i]);
            // np.searchsorted(rc, recThrs, side='left'); thresholds past the last
            // recall keep precision 0.
            std::size_t idx = 0;
            for (int r = 0; r < kR; ++r) {
              const double thr = CocoEvaluation::recall_threshold(r);
              while (idx < nd && rc[idx] < thr)
                ++idx;
              precision[((((static_cast<std::size_t>(t) * kR + r) * num_k + k) * kA + a) * kM + m)] =
                  idx < nd ? pr[idx] : 0.0;
            }
          }
        }
      }
    }
  }

  const CocoGroundTruth& gt_;
  const std::vector<CocoDetection>& dets_in_;
  std::vector<std::int64_t> image_ids_;
  std::unordered_map<std::int64_t, int> image_index_, category_index_;
  std::vector<CocoCategory> sorted_categories_;
  std::vector<int> npig_;                     // [K][A] non-ignored ground truth
  std::vector<EvalDet> evaldets_;             // all detections kept per image
  std::vector<DetState> states_;              // [evaldet][A][T]
  std::vector<std::vector<int>> by_category_; // evaldet indices per category
  std::vector<double> iou_;                   // scratch: one cell's [D][G]
};

} // namespace

double CocoEvaluation::iou_threshold(int t) {
  // np.linspace(.5, .95, 10): start + i * ((stop - start) / 9), last one set to stop.
  return t == kNumIouThresholds - 1 ? 0.95 : 0.5 + t * ((0.95 - 0.5) / 9.0);
}

double CocoEvaluation::recall_threshold(int r) {
  // np.linspace(0, 1, 101): i * 0.01, last one set to 1.
  return r == kNumRecallThresholds - 1 ? 1.0 : r * 0.01;
}

const char* CocoEvaluation::area_label(AreaRange a) {
  switch (a) {
  case AreaRange::kAll: return "all";
  case AreaRange::kSmall: return "small";
  case AreaRange::kMedium: return "medium";
  case AreaRange::kLarge: return "large";
  }
  return "?";
}

std::size_t CocoEvaluation::precision_index(int t, int r, int k, int a, int m) const {
  return (((static_cast<std::size_t>(t) * kNumRecallThresholds + r) * categories_.size() + k) *
              kNumAreaRanges +
          a) *
             kNumMaxDets +
         m;
}

std::size_t CocoEvaluation::recall_index(int t, int k, int a, int m) const {
  return ((static_cast<std::size_t>(t) * categories_.size() + k) * kNumAreaRanges + a) * kNumMaxDets + m;
}

double CocoEvaluation::precision(int t, int r, int k, AreaRange a, int m) const {
  return precision_.at(precision_index(t, r, k, static_cast<int>(a), m));
}

double CocoEvaluation::recall(int t, int k, AreaRange a, int m) const {
  return recall_.at(recall_index(t, k, static_cast<int>(a), m));
}

std::vector<double> CocoEvaluation::precision_curve(int t, AreaRange a) const {
  std::vector<double> curve(kNumRecallThresholds, -1.0);
  const int t0 = t < 0 ? 0 : t, t1 = t < 0 ? kNumIouThresholds : t + 1;
  for (int r = 0; r < kNumRecallThresholds; ++r) {
    double sum = 0;
    int n = 0;
    for (int ti = t0; ti < t1; ++ti)
      for (int k = 0; k < num_categories(); ++k) {
        const double p = precision(ti, r, k, a, kNumMaxDets - 1);
        if (p > -1) sum += p, ++n;
      }
    if (n > 0) curve[static_cast<std::size_t>(r)] = sum / n;
  }
  return curve;
}

CocoEvaluation evaluate_coco(const CocoGroundTruth& gt, const std::vector<CocoDetection>& detections) {
  CocoEvaluation ev;
  Evaluator evaluator(gt, detections);
  evaluator.run(ev.categories_, ev.precision_, ev.recall_, ev.num_unknown_category_);
  ev.num_images_ = evaluator.num_images();
  ev.summary_ = summarize_coco(ev);
  for (int k = 0; k < ev.num_categories(); ++k) {
    CategoryResult c;
    c.id = ev.categories_[k].id;
    c.name = ev.categories_[k].name;
    c.num_gt = evaluator.npig(k, static_cast<int>(AreaRange::kAll));
    c.num_detections = evaluator.dets_of(k);
    c.ap = mean_precision(ev, k, -1);
    c.ap50 = mean_precision(ev, k, CocoEvaluation::kIou50);
    c.ap75 = mean_precision(ev, k, CocoEvaluation::kIou75);
    c.ar100 = mean_recall(ev, k);
    ev.per_category_.push_back(std::move(c));
  }
  return ev;
}

} // namespace tilescope::eval
