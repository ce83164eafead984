// COCOeval.summarize() for boxes: the 12 numbers, their printed lines and the
// --json object. One table (kStats) drives all three so they cannot disagree.
#include "coco_summary.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace tilescope::eval {
namespace {

constexpr int kT = CocoEvaluation::kNumIouThresholds;
constexpr int kR = CocoEvaluation::kNumRecallThresholds;
constexpr int kM100 = CocoEvaluation::kNumMaxDets - 1;

// One line of _summarizeDets(): AP or AR, IoU threshold index (-1: mean over
// 0.50:0.95), area range and maxDets index.
struct StatSpec {
  const char* key;
  bool ap;
  int iou;
  AreaRange area;
  int max_det;
  double CocoSummary::*field;
};

constexpr StatSpec kStats[] = {
    {"AP", true, -1, AreaRange::kAll, kM100, &CocoSummary::ap},
    {"AP50", true, CocoEvaluation::kIou50, AreaRange::kAll, kM100, &CocoSummary::ap50},
    {"AP75", true, CocoEvaluation::kIou75, AreaRange::kAll, kM100, &CocoSummary::ap75},
    {"APs", true, -1, AreaRange::kSmall, kM100, &CocoSummary::ap_small},
    {"APm", true, -1, AreaRange::kMedium, kM100, &CocoSummary::ap_medium},
    {"APl", true, -1, AreaRange::kLarge, kM100, &CocoSummary::ap_large},
    {"AR1", false, -1, AreaRange::kAll, 0, &CocoSummary::ar1},
    {"AR10", false, -1, AreaRange::kAll, 1, &CocoSummary::ar10},
    {"AR100", false, -1, AreaRange::kAll, kM100, &CocoSummary::ar100},
    {"ARs", false, -1, AreaRange::kSmall, kM100, &CocoSummary::ar_small},
    {"ARm", false, -1, AreaRange::kMedium, kM100, &CocoSummary::ar_medium},
    {"ARl", false, -1, AreaRange::kLarge, kM100, &CocoSummary::ar_large},
};

// Running mean of the entries > -1 (numpy: np.mean(s[s > -1]), -1 when empty).
// numpy sums pairwise, so the last bits may differ from pycocotools (~1e-16).
struct ValidMean {
  double sum = 0;
  long n = 0;
  void add(double v) {
    if (v > -1) sum += v, ++n;
  }
  double get() const { return n ? sum / static_cast<double>(n) : -1.0; }
};

// k < 0: all categories.
double stat(const CocoEvaluation& ev, const StatSpec& s, int k) {
  const int t0 = s.iou < 0 ? 0 : s.iou, t1 = s.iou < 0 ? kT : s.iou + 1;
  const int k0 = k < 0 ? 0 : k, k1 = k < 0 ? ev.num_categories() : k + 1;
  ValidMean mean;
  for (int t = t0; t < t1; ++t)
    for (int kk = k0; kk < k1; ++kk) {
      if (s.ap) {
        for (int r = 0; r < kR; ++r)
          mean.add(ev.precision(t, r, kk, s.area, s.max_det));
      } else {
        mean.add(ev.recall(t, kk, s.area, s.max_det));
      }
    }
  return mean.get();
}

} // namespace

CocoSummary summarize_coco(const CocoEvaluation& ev) {
  CocoSummary out;
  for (const StatSpec& s : kStats)
    out.*s.field = stat(ev, s, -1);
  return out;
}

double mean_precision(const CocoEvaluation& ev, int k, int t) {
  return stat(ev, {"", true, t, AreaRange::kAll, kM100, nullptr}, k);
}

double mean_recall(const CocoEvaluation& ev, int k) {
  return stat(ev, {"", false, -1, AreaRange::kAll, kM100, nullptr}, k);
}

std::vector<std::pair<std::string, double>> summary_entries(const CocoSummary& s) {
  std::vector<std::pair<std::string, double>> out;
  for (const StatSpec& spec : kStats)
    out.emplace_back(spec.key, s.*spec.field);
  return out;
}

std::vector<SummaryMetric> summary_metrics(const CocoSummary& s) {
  std::vector<SummaryMetric> out;
  char iou[16];
  for (const StatSpec& spec : kStats) {
    if (spec.iou < 0) {
      std::snprintf(iou, sizeof iou, "%0.2f:%0.2f", CocoEvaluation::iou_threshold(0),
                    CocoEvaluation::iou_threshold(kT - 1));
    } else {
      std::snprintf(iou, sizeof iou, "%0.2f", CocoEvaluation::iou_threshold(spec.iou));
    }
    out.push_back({spec.key, spec.ap, iou, spec.area, CocoEvaluation::kMaxDets[spec.max_det], s.*spec.field});
  }
  return out;
}

std::string format_summary_text(const CocoSummary& s) {
  std::string out;
  char line[160];
  for (const SummaryMetric& m : summary_metrics(s)) {
    // iStr = ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'
    std::snprintf(line, sizeof line, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                  m.is_ap ? "Average Precision" : "Average Recall", m.is_ap ? "(AP)" : "(AR)", m.iou.c_str(),
                  CocoEvaluation::area_label(m.area), m.max_dets, m.value);
    out += line;
  }
  return out;
}

std::string summary_json(const CocoSummary& s) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [key, value] : summary_entries(s))
    j[key] = value;
  return j.dump();
}

} // namespace tilescope::eval
