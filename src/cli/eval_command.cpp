// `tilescope eval --gt instances.json --dt results.json [--out DIR] [--json]`.
#include "eval_command.h"

#include "commands.h"
#include "detector_options.h"
#include "progress.h"
#include "slice_options.h"
#include "tilescope/core/error.h"
#include "tilescope/eval/sweep.h"

#include <cstdio>
#include <iostream>

namespace tilescope::cli {
namespace {

// The detector and slicing flags of `eval --images`.
struct EvalDetectArgs {
  std::string images_dir;
  DetectorArgs detector;
  SliceArgs slice;
};
EvalDetectArgs& detect_args() {
  static EvalDetectArgs args;
  return args;
}

// Where the detections come from: a results file, or the detector (sliced or not)
// run over --images.
std::vector<eval::CocoDetection> detections_for(const EvalArgs& args, const eval::CocoGroundTruth& gt) {
  const EvalDetectArgs& d = detect_args();
  if (!args.dt_path.empty() && !d.images_dir.empty()) throw Error("eval: give --dt or --images, not both");
  if (!args.dt_path.empty()) return eval::load_coco_results(args.dt_path, gt);
  if (d.images_dir.empty()) throw Error("eval: give the detections with --dt results.json, or --images DIR");
  detect::Detector detector = open_detector(d.detector);
  const detect::DetectOptions options = detect_options(d.detector, detector);
  tiling::TiledDetector tiled(detector, to_slice_options(d.slice), to_merge_options(d.slice));
  const eval::BenchmarkRun run =
      run_benchmark_with_progress("eval " + d.images_dir, tiled, detector, gt, d.images_dir, options);
  std::fprintf(stderr, "%d images, %.1f engine inputs (tiles + full frame) and %.1f ms per image%s\n",
               run.frames, run.tiles_per_frame, run.ms_per_frame,
               run.failed ? (", " + std::to_string(run.failed) + " unreadable").c_str() : "");
  if (run.frames == 0) throw Error(d.images_dir + ": none of the ground truth's images could be read");
  return run.detections;
}

} // namespace

eval::BenchmarkRun run_benchmark_with_progress(const std::string& label, tiling::TiledDetector& tiled,
                                               const detect::Detector& detector,
                                               const eval::CocoGroundTruth& gt, const std::string& images_dir,
                                               const detect::DetectOptions& options) {
  Progress progress(label, static_cast<std::int64_t>(gt.images.size()), "img");
  eval::BenchmarkRun run = eval::run_benchmark(tiled, detector.class_names(), gt, images_dir, options,
                                               [&](int, int) { progress.advance(); });
  progress.finish();
  return run;
}

int run_eval_on_detections(const EvalArgs& args, const eval::CocoGroundTruth& gt,
                           const std::vector<eval::CocoDetection>& detections,
                           const std::vector<eval::ReportSection>& extra_sections) {
  const eval::CocoEvaluation ev = eval::evaluate_coco(gt, detections);
  if (ev.num_detections_unknown_category() > 0) {
    std::cerr << "note: " << ev.num_detections_unknown_category() << " detections have categories not in "
              << gt.source << " and were skipped\n";
  }
  if (args.json) {
    std::cout << eval::summary_json(ev.summary()) << "\n";
  } else {
    std::cout << eval::format_summary_text(ev.summary());
  }
  std::cout.flush();
  if (!args.out_dir.empty()) {
    eval::ReportOptions options;
    options.title = "tilescope eval";
    options.facts.emplace_back("Ground truth", gt.source);
    if (!args.dt_path.empty()) options.facts.emplace_back("Detections", args.dt_path);
    options.facts.emplace_back("Detections evaluated", std::to_string(detections.size()));
    options.extra_sections = extra_sections;
    const auto index = eval::write_eval_report(args.out_dir, ev, options);
    std::cerr << "report: " << index.string() << "\n";
  }
  return 0;
}

void add_eval_commands(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "COCO box metrics (AP, AP50, AP75, AP small/medium/large, AR) "
                                         "of detections against COCO ground truth, with an HTML report");
  static EvalArgs args;
  cmd->add_option("--gt", args.gt_path, "COCO instances JSON (ground truth)");
  cmd->add_option("--dt", args.dt_path, "COCO results JSON: [{image_id, category_id, bbox, score}, ...]");
  cmd->add_option("--out", args.out_dir, "Write an HTML report (index.html, precision-recall PNGs) here");
  cmd->add_flag("--json", args.json, "Print one JSON object (AP ... ARl, fractions, -1 where undefined)");
  EvalDetectArgs& d = detect_args();
  cmd->add_option("--images", d.images_dir,
                  "Detect in the ground truth's images (file_name relative to this folder) instead of --dt");
  add_detector_options(cmd, d.detector);
  add_slice_options(cmd, d.slice);
  add_eval_bench_subcommands(cmd);
  cmd->callback([cmd] {
    // `eval <subcommand>` (synth, sweep) runs its own callback; nothing to do here.
    if (!cmd->get_subcommands().empty()) return;
    if (args.gt_path.empty()) throw Error("eval: give the ground truth with --gt instances.json");
    const eval::CocoGroundTruth gt = eval::load_coco_ground_truth(args.gt_path);
    const std::vector<eval::CocoDetection> detections = detections_for(args, gt);
    if (const int rc = run_eval_on_detections(args, gt, detections); rc != 0) throw CLI::RuntimeError(rc);
  });
}

} // namespace tilescope::cli
