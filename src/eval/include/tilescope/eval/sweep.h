// Running a detector (with or without slicing) over a COCO-labelled image set,
// and sweeping slicing settings over one benchmark (`tilescope eval sweep`).
//
//   tiling::TiledDetector tiled(detector, slice, merge);
//   BenchmarkRun run = run_benchmark(tiled, detector.class_names(), gt, "runs/synth/images", options);
//   CocoEvaluation ev = evaluate_coco(gt, run.detections);
#pragma once

#include "tilescope/eval/coco.h"
#include "tilescope/tiling/tiled_detector.h"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace tilescope::eval {

struct BenchmarkRun {
  std::vector<CocoDetection> detections; // category ids mapped to the ground truth's by class name
  int frames = 0;                        // images detected in
  int failed = 0;                        // images that could not be read (named on stderr)
  double ms_per_frame = 0;               // mean wall time of TiledDetector::detect (image decoding excluded)
  double tiles_per_frame = 0;            // engine inputs per frame: tiles + the full-frame pass
};

// Detects in every image of `gt` (file_name relative to `images_dir`). The first
// image is detected once untimed first (engine compilation for the batch shapes).
// Detector classes (`class_names`, the detector's) map to ground-truth categories by name; detections of
// other classes are dropped. Throws Error when no category name is a detector class. `progress(done, total)`
// is called after each image.
BenchmarkRun run_benchmark(tiling::TiledDetector& tiled, const std::vector<std::string>& class_names,
                           const CocoGroundTruth& gt, const std::filesystem::path& images_dir,
                           const detect::DetectOptions& options,
                           const std::function<void(int, int)>& progress = {});

struct SweepConfig {
  std::string name; // "full-frame", "fixed 416 + full", ...
  tiling::SliceOptions slice;
};

// full frame; sahi-auto, fixed 416, fixed 640 and adaptive, each with and without
// the full-frame pass. `adaptive` carries --min-object / --budget-ms.
std::vector<SweepConfig> standard_sweep_configs(const tiling::SliceOptions& adaptive);

struct SweepRow {
  SweepConfig config;
  CocoSummary summary;
  double ms_per_frame = 0;
  double tiles_per_frame = 0;
  int frames = 0;
};

// Writes <out>/sweep.md (the table), <out>/sweep.json, <out>/sweep.png (speed vs
// AP and AP_small) and <out>/index.html; returns the Markdown table.
std::string write_sweep_report(const std::filesystem::path& out, const std::vector<SweepRow>& rows,
                               const std::vector<std::pair<std::string, std::string>>& facts);

// "| config | AP | AP_small | tiles/frame | ms/frame |" table, AP in percent.
std::string sweep_table_markdown(const std::vector<SweepRow>& rows);

} // namespace tilescope::eval
