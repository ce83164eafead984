// `tilescope eval`: COCO box metrics of detections against COCO ground truth.
//
// The command is split so that other ways of producing detections (running the
// detector over --images with slicing, the synth benchmark, sweeps) reuse the
// printing and reporting: they build the detections in memory and call
// run_eval_on_detections().
#pragma once

#include "tilescope/eval/coco.h"
#include "tilescope/eval/report.h"
#include "tilescope/eval/sweep.h"

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tilescope::cli {

struct EvalArgs {
  std::string gt_path; // --gt instances.json
  std::string dt_path; // --dt results.json
  std::string out_dir; // --out DIR: HTML report; empty: none
  bool json = false;   // --json: one JSON object on stdout instead of the summary lines
};

// Evaluates `detections` against `gt`; prints the 12 summary lines (or, with
// args.json, one JSON object with keys AP ... ARl) on stdout; notes go to stderr;
// writes the HTML report when args.out_dir is set, with `extra_sections` after the
// COCO ones. Returns the process exit code (0). Throws tilescope::Error on failure.
int run_eval_on_detections(const EvalArgs& args, const eval::CocoGroundTruth& gt,
                           const std::vector<eval::CocoDetection>& detections,
                           const std::vector<eval::ReportSection>& extra_sections = {});

// eval::run_benchmark over the ground truth's images in `images_dir`, with a progress
// bar labelled `label` (on a terminal).
eval::BenchmarkRun run_benchmark_with_progress(const std::string& label, tiling::TiledDetector& tiled,
                                               const detect::Detector& detector,
                                               const eval::CocoGroundTruth& gt, const std::string& images_dir,
                                               const detect::DetectOptions& options);

// `eval synth` and `eval sweep` (eval_bench_commands.cpp), added under `eval`.
void add_eval_bench_subcommands(CLI::App* eval);

} // namespace tilescope::cli
