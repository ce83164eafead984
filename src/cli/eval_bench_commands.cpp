// `tilescope eval synth` (build the synthetic small-object benchmark) and
// `tilescope eval sweep` (slicing settings side by side on one benchmark).
#include "default_model.h"
#include "detector_options.h"
#include "eval_command.h"
#include "progress.h"
#include "slice_options.h"
#include "tilescope/core/error.h"
#include "tilescope/eval/sweep.h"
#include "tilescope/eval/synth.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace tilescope::cli {
namespace {

namespace fs = std::filesystem;

struct SynthArgs {
  std::string out = "runs/synth", size = "1920x1080";
  int count = 40, min_px = 8, max_px = 64;
  unsigned seed = 1;
};

cv::Size parse_size(const std::string& text, const std::string& flag) {
  int w = 0, h = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%dx%d%c", &w, &h, &tail) != 2 || w <= 0 || h <= 0) {
    throw Error(flag + " " + text + ": expected WIDTHxHEIGHT, e.g. 1920x1080");
  }
  return {w, h};
}

eval::SynthSummary build_synth(const SynthArgs& a, detect::Detector& detector) {
  eval::SynthOptions o;
  o.size = parse_size(a.size, "--size");
  o.count = a.count;
  o.seed = a.seed;
  o.min_px = a.min_px;
  o.max_px = a.max_px;
  o.video_path = sample_video_path();
  o.background_paths = eval::default_background_photos();
  Progress progress("synth " + a.out, o.count, "img");
  const eval::SynthSummary s =
      eval::build_synth_benchmark(detector, o, a.out, [&](int, int) { progress.advance(); });
  progress.finish();
  std::printf(
      "synth: %d images %dx%d, %d objects (%d-%d px), %d crowd regions, %d bank objects; ground truth %s\n",
      s.images, o.size.width, o.size.height, s.objects, o.min_px, o.max_px, s.crowd_regions, s.bank_objects,
      s.gt_path.c_str());
  return s;
}

void add_synth_options(CLI::App* cmd, SynthArgs& a) {
  cmd->add_option("--size", a.size, "Image size, WIDTHxHEIGHT (1920x1080, 3840x2160)")->capture_default_str();
  cmd->add_option("--count", a.count, "Images")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--seed", a.seed, "Random seed (same seed, same benchmark)")->capture_default_str();
  cmd->add_option("--min-px", a.min_px, "Smallest object, longer side in pixels")->capture_default_str();
  cmd->add_option("--max-px", a.max_px, "Largest object, longer side in pixels")->capture_default_str();
}

struct SweepArgs {
  SynthArgs synth;
  DetectorArgs detector;
  SliceArgs slice; // the adaptive planner's --min-object / --budget-ms, and the merge settings
  std::string out = "runs/sweep", only;
};

void run_sweep(SweepArgs& a) {
  detect::Detector detector = open_detector(a.detector);
  const detect::DetectOptions options = detect_options(a.detector, detector);
  const fs::path bench(a.synth.out);
  if (!fs::exists(bench / "instances.json")) {
    std::fprintf(stderr, "%s has no benchmark yet: building it\n", bench.string().c_str());
    build_synth(a.synth, detector);
  }
  const eval::CocoGroundTruth gt = eval::load_coco_ground_truth((bench / "instances.json").string());
  const tiling::MergeOptions merge = to_merge_options(a.slice);
  std::vector<eval::SweepConfig> configs = eval::standard_sweep_configs(to_slice_options(a.slice));
  if (!a.only.empty()) {
    std::erase_if(configs,
                  [&](const eval::SweepConfig& c) { return c.name.find(a.only) == std::string::npos; });
    if (configs.empty()) throw Error("--only " + a.only + ": matches no configuration");
  }
  std::vector<eval::SweepRow> rows;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    tiling::TiledDetector tiled(detector, configs[i].slice, merge);
    const eval::BenchmarkRun run = run_benchmark_with_progress(configs[i].name, tiled, detector, gt,
                                                               (bench / "images").string(), options);
    const eval::CocoEvaluation ev = eval::evaluate_coco(gt, run.detections);
    rows.push_back({configs[i], ev.summary(), run.ms_per_frame, run.tiles_per_frame, run.frames});
    std::fprintf(stderr, "[%zu/%zu] %-20s AP %5.1f  AP_small %5.1f  %5.1f tiles/frame  %7.1f ms/frame\n",
                 i + 1, configs.size(), configs[i].name.c_str(), 100 * ev.summary().ap,
                 100 * ev.summary().ap_small, run.tiles_per_frame, run.ms_per_frame);
  }
  const std::vector<std::pair<std::string, std::string>> facts = {
      {"Benchmark", (bench / "instances.json").string()},
      {"Images", std::to_string(gt.images.size())},
      {"Model", a.detector.model.empty() ? default_model_path() : a.detector.model},
      {"Confidence threshold", std::to_string(a.detector.conf)},
      {"Threads", a.detector.threads > 0 ? std::to_string(a.detector.threads) : "all cores"}};
  const std::string table = eval::write_sweep_report(a.out, rows, facts);
  std::printf("%s", table.c_str());
  std::printf("report: %s/index.html (sweep.md, sweep.json, sweep.png)\n", a.out.c_str());
}

} // namespace

void add_eval_bench_subcommands(CLI::App* eval) {
  auto* synth = eval->add_subcommand(
      "synth", "Build the synthetic small-object benchmark: objects the default model finds in the sample "
               "video, scaled to 8-64 px and blended onto real backgrounds, with COCO ground truth");
  static SynthArgs synth_args;
  static DetectorArgs synth_detector;
  synth->add_option("--out", synth_args.out, "Output folder (images/, instances.json, preview.jpg)")
      ->capture_default_str();
  add_synth_options(synth, synth_args);
  synth->add_option("--model", synth_detector.model, "Model that picks the objects (default: NanoDet-m)");
  synth->add_option("--threads", synth_detector.threads, "Inference threads (0 = all cores)");
  synth->callback([] {
    detect::Detector detector = open_detector(synth_detector);
    build_synth(synth_args, detector);
  });

  auto* sweep = eval->add_subcommand(
      "sweep", "Run one benchmark with full-frame, sahi-auto, fixed 416 and 640, and adaptive slicing (each "
               "with and without the full-frame pass): AP, AP_small, tiles and ms per frame, table and plot");
  static SweepArgs sweep_args;
  sweep_args.synth.out = "runs/synth";
  sweep
      ->add_option("--bench", sweep_args.synth.out,
                   "Benchmark folder (instances.json + images/); built with the synth options when missing")
      ->capture_default_str();
  add_synth_options(sweep, sweep_args.synth);
  add_detector_options(sweep, sweep_args.detector);
  add_slice_options(sweep, sweep_args.slice);
  sweep->add_option("--only", sweep_args.only, "Only configurations whose name contains this text");
  sweep->add_option("--out", sweep_args.out, "Report folder")->capture_default_str();
  sweep->callback([] { run_sweep(sweep_args); });
}

} // namespace tilescope::cli
