// Calibration: runs the fp32 model on images and records the range of chosen
// values (the Convs' input activations). Internal to src/quant.
#pragma once

#include "tilescope/engine/graph.h"
#include "tilescope/quant/quantize.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tilescope::quant {

struct CalibrationResult {
  int images = 0;
  std::map<std::string, std::pair<float, float>> ranges; // value -> (min, max)
  std::vector<std::string> notes;
};

// The first options.max_images images of options.calibration_dir by file name.
// Throws Error when the folder is missing or holds no images.
std::vector<std::string> calibration_images(const QuantizeOptions& options);

// Runs `model` (loaded from `model_path`) on the images and returns the range of
// every value in `values` by options.method. Throws Error naming the image or
// value that cannot be used.
CalibrationResult calibrate(const std::string& model_path, const engine::Graph& model,
                            const std::vector<std::string>& values, const QuantizeOptions& options);

} // namespace tilescope::quant
