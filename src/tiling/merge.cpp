// NMS, NMM and greedy NMM over detections, with SAHI's semantics (merge.h lists
// them; source: sahi/postprocess/combine.py and utils.py).
#include "tilescope/tiling/merge.h"

#include "tilescope/core/error.h"

#include <algorithm>
#include <cmath>

namespace tilescope::tiling {
namespace {

using detect::BoxXYXY;
using detect::Detection;

// IoU or IoS in double (float32 corners: differences and products are exact
// enough that the value does not depend on where the boxes are). An empty
// denominator gives 0: no match (SAHI's newer _safe_ratio).
double match_value(const BoxXYXY& a, double area_a, const BoxXYXY& b, double area_b, MatchMetric metric) {
  const double w = std::min<double>(a.x2, b.x2) - std::max<double>(a.x1, b.x1);
  const double h = std::min<double>(a.y2, b.y2) - std::max<double>(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0.0;
  const double inter = w * h;
  if (metric == MatchMetric::kIou) {
    const double uni = area_a + area_b - inter;
    return uni > 0 ? inter / uni : 0.0;
  }
  const double smaller = std::min(area_a, area_b);
  return smaller > 0 ? inter / smaller : 0.0;
}

double box_area(const BoxXYXY& b) {
  return std::max(0.0, double(b.x2) - b.x1) * std::max(0.0, double(b.y2) - b.y1);
}

} // namespace

MergeAlgorithm parse_merge_algorithm(const std::string& text) {
  if (text == "nms") return MergeAlgorithm::kNms;
  if (text == "nmm") return MergeAlgorithm::kNmm;
  if (text == "greedy-nmm") return MergeAlgorithm::kGreedyNmm;
  throw Error("merge algorithm '" + text + "': expected nms, nmm or greedy-nmm");
}

MatchMetric parse_match_metric(const std::string& text) {
  if (text == "iou") return MatchMetric::kIou;
  if (text == "ios") return MatchMetric::kIos;
  throw Error("match metric '" + text + "': expected iou or ios");
}

double ios(const BoxXYXY& a, const BoxXYXY& b) {
  return match_value(a, box_area(a), b, box_area(b), MatchMetric::kIos);
}

void check_merge_options(const MergeOptions& options) {
  if (!(options.threshold >= 0.0f && options.threshold <= 1.0f)) {
    throw Error("merge match threshold must be in [0, 1], got " + std::to_string(options.threshold));
  }
}

void Merger::run(std::span<const Detection> boxes, const MergeOptions& options,
                 std::vector<Detection>& merged) {
  check_merge_options(options);
  merged.clear();
  const std::size_t n = boxes.size();
  items_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Detection& d = boxes[i];
    items_[i] = {d.box, box_area(d.box), d.score, d.class_id, static_cast<std::uint32_t>(i), 0};
  }
  // Score order with SAHI's deterministic tie-break (np.lexsort on -score, x1, y1, x2, y2).
  std::sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.box.x1 != b.box.x1) return a.box.x1 < b.box.x1;
    if (a.box.y1 != b.box.y1) return a.box.y1 < b.box.y1;
    if (a.box.x2 != b.box.x2) return a.box.x2 < b.box.x2;
    if (a.box.y2 != b.box.y2) return a.box.y2 < b.box.y2;
    return a.index < b.index;
  });
  for (std::size_t i = 0; i < n; ++i)
    items_[i].rank = static_cast<std::uint32_t>(i);
  // Per class: each class a contiguous run, in score order inside (SAHI's batched_* loop per category).
  if (!options.class_agnostic) {
    std::stable_sort(items_.begin(), items_.end(),
                     [](const Item& a, const Item& b) { return a.class_id < b.class_id; });
  }
  owner_.assign(n, -1);
  next_.assign(n, -1);
  tail_.assign(n, -1);
  kept_.clear();

  const double thr = options.threshold;
  const MatchMetric metric = options.metric;
  const auto value = [&](const Item& a, const Item& b) {
    return match_value(a.box, a.area, b.box, b.area, metric);
  };
  // SAHI's merge_object_prediction_pair: enclosing box, max score, class of the
  // strictly higher-scoring box (else the second one's).
  const auto absorb = [](Item& into, const Item& other) {
    if (!(into.score > other.score)) into.class_id = other.class_id;
    into.score = std::max(into.score, other.score);
    into.box = {std::min(into.box.x1, other.box.x1), std::min(into.box.y1, other.box.y1),
                std::max(into.box.x2, other.box.x2), std::max(into.box.y2, other.box.y2)};
    into.area = box_area(into.box);
  };
  const auto emit = [&](const Item& it) {
    kept_.emplace_back(it.rank, Detection{it.box, it.score, it.class_id});
  };

  for (std::size_t begin = 0; begin < n;) {
    std::size_t end = begin + 1;
    if (!options.class_agnostic) {
      while (end < n && items_[end].class_id == items_[begin].class_id)
        ++end;
    } else {
      end = n;
    }
    for (std::size_t i = begin; i < end; ++i) {
      const Item& it = items_[i];
      const auto self = static_cast<std::int32_t>(i);
      switch (options.algorithm) {
      case MergeAlgorithm::kNms:
        if (owner_[i] >= 0) break;
        owner_[i] = self;
        emit(it);
        for (std::size_t j = i + 1; j < end; ++j) {
          if (owner_[j] < 0 && value(it, items_[j]) >= thr) owner_[j] = self;
        }
        break;
      case MergeAlgorithm::kGreedyNmm: {
        if (owner_[i] >= 0) break;
        owner_[i] = self;
        // Candidates are found with the keeper's own box; the has_match re-check
        // uses the box merged so far. Interleaving both is the same as SAHI's two
        // passes, since candidates never depend on merged boxes.
        Item grown = it;
        for (std::size_t j = i + 1; j < end; ++j) {
          if (owner_[j] >= 0 || value(it, items_[j]) < thr) continue;
          owner_[j] = self;
          if (value(grown, items_[j]) > thr) absorb(grown, items_[j]);
        }
        emit(grown);
        break;
      }
      case MergeAlgorithm::kNmm: {
        std::int32_t keeper = owner_[i];
        if (keeper < 0) {
          keeper = owner_[i] = self;
          tail_[i] = self;
        }
        for (std::size_t j = i + 1; j < end; ++j) {
          if (owner_[j] >= 0 || value(it, items_[j]) < thr) continue;
          owner_[j] = keeper;
          next_[static_cast<std::size_t>(tail_[static_cast<std::size_t>(keeper)])] =
              static_cast<std::int32_t>(j);
          tail_[static_cast<std::size_t>(keeper)] = static_cast<std::int32_t>(j);
        }
        break;
      }
      }
    }
    if (options.algorithm == MergeAlgorithm::kNmm) {
      for (std::size_t i = begin; i < end; ++i) {
        if (owner_[i] != static_cast<std::int32_t>(i)) continue;
        Item grown = items_[i];
        for (std::int32_t j = next_[i]; j >= 0; j = next_[static_cast<std::size_t>(j)]) {
          const Item& other = items_[static_cast<std::size_t>(j)];
          if (value(grown, other) > thr) absorb(grown, other);
        }
        emit(grown);
      }
    }
    begin = end;
  }
  // Keepers by their rank: the merged score is the keeper's (every taken box ranks below it).
  std::sort(kept_.begin(), kept_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  merged.reserve(kept_.size());
  for (const auto& k : kept_)
    merged.push_back(k.second);
}

std::vector<Detection> merge_detections(std::span<const Detection> boxes, const MergeOptions& options) {
  Merger merger;
  std::vector<Detection> merged;
  merger.run(boxes, options, merged);
  return merged;
}

} // namespace tilescope::tiling
