// Merging per-tile boxes (tiling::Merger) beside its peer, the per-image NMS
// (detect::Nms), on the same boxes: what slicing adds to a frame's post-processing.
//
//   build/bench/merge_bench --benchmark_filter='/2000'
//
// Boxes: `n` detections in clusters of 4 near-duplicates (what overlapping tiles
// produce for one object), a 1920x1080 frame, 3 classes, scores uniform in [0.25, 1).
#include "tilescope/detect/nms.h"
#include "tilescope/tiling/merge.h"

#include <benchmark/benchmark.h>
#include <random>
#include <vector>

namespace {

using tilescope::detect::Detection;

std::vector<Detection> clustered_boxes(int n) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> x(0, 1880), y(0, 1040), size(8, 64), jitter(-3, 3),
      score(0.25f, 1.0f);
  std::vector<Detection> boxes;
  while (static_cast<int>(boxes.size()) < n) {
    const float cx = x(rng), cy = y(rng), w = size(rng) * 0.5f, h = size(rng);
    const int cls = static_cast<int>(rng() % 3);
    for (int k = 0; k < 4 && static_cast<int>(boxes.size()) < n; ++k) {
      const float dx = jitter(rng), dy = jitter(rng);
      boxes.push_back({{cx + dx, cy + dy, cx + dx + w, cy + dy + h}, score(rng), cls});
    }
  }
  return boxes;
}

void merge(benchmark::State& state, tilescope::tiling::MergeAlgorithm algorithm,
           tilescope::tiling::MatchMetric metric) {
  const std::vector<Detection> boxes = clustered_boxes(static_cast<int>(state.range(0)));
  tilescope::tiling::MergeOptions options;
  options.algorithm = algorithm;
  options.metric = metric;
  tilescope::tiling::Merger merger;
  std::vector<Detection> out;
  for (auto _ : state) {
    merger.run(boxes, options, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["kept"] = static_cast<double>(out.size());
}

void BM_GreedyNmmIos(benchmark::State& s) {
  merge(s, tilescope::tiling::MergeAlgorithm::kGreedyNmm, tilescope::tiling::MatchMetric::kIos);
}
void BM_NmmIos(benchmark::State& s) {
  merge(s, tilescope::tiling::MergeAlgorithm::kNmm, tilescope::tiling::MatchMetric::kIos);
}
void BM_MergeNmsIou(benchmark::State& s) {
  merge(s, tilescope::tiling::MergeAlgorithm::kNms, tilescope::tiling::MatchMetric::kIou);
}

// The peer: the detector's own NMS over the same boxes.
void BM_DetectNms(benchmark::State& state) {
  const std::vector<Detection> boxes = clustered_boxes(static_cast<int>(state.range(0)));
  tilescope::detect::NmsOptions options;
  options.max_detections = 100000;
  tilescope::detect::Nms nms;
  std::vector<Detection> out;
  for (auto _ : state) {
    nms.run(boxes, options, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["kept"] = static_cast<double>(out.size());
}

BENCHMARK(BM_DetectNms)->Arg(200)->Arg(2000)->Arg(8000);
BENCHMARK(BM_MergeNmsIou)->Arg(200)->Arg(2000)->Arg(8000);
BENCHMARK(BM_GreedyNmmIos)->Arg(200)->Arg(2000)->Arg(8000);
BENCHMARK(BM_NmmIos)->Arg(200)->Arg(2000)->Arg(8000);

} // namespace

BENCHMARK_MAIN();
