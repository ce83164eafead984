// The detector options shared by `detect`, `eval --images` and `eval sweep`:
// which model, how it runs, and the per-image NMS settings.
#pragma once

#include "tilescope/detect/detector.h"
#include "tilescope/engine/session.h"

#include <CLI/CLI.hpp>
#include <string>

namespace tilescope::cli {

struct DetectorArgs {
  std::string model, head, labels, classes, precision = "fp32", backend = "onednn";
  float conf = 0.25f, iou = 0.45f;
  int max_det = 300, imgsz = 640, threads = 0, batch = 0;
  bool agnostic = false;
};

// Adds --model --conf --iou --max-det --classes --agnostic --imgsz --head --labels
// --threads --precision --backend and --batch (images or tiles per engine run;
// 0 = all of a frame's tiles in one run) to `cmd`, with `args` as defaults.
void add_detector_options(CLI::App* cmd, DetectorArgs& args);

// --precision fp32|bf16|int8 as the engine's Precision; throws Error naming the
// flag for anything else. Notes on stderr when bf16 would run emulated.
engine::Precision precision_flag(const std::string& text);
// Adds --precision to `cmd` (shared by detect, bench and model run).
void add_precision_option(CLI::App* cmd, std::string& precision);

// Opens the model (the default model when args.model is empty). Throws Error.
detect::Detector open_detector(const DetectorArgs& args);

// NMS options from the flags, classes resolved against the model's names. Throws Error.
detect::DetectOptions detect_options(const DetectorArgs& args, const detect::Detector& detector);

} // namespace tilescope::cli
