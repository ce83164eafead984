// Where the default model and the sample media live, for every part that needs them
// (the CLI commands, `tilescope serve` with `model.path: ""`, tests): $TILESCOPE_MODEL
// if set, else <cache>/models/nanodet/nanodet.json with <cache> = $TILESCOPE_CACHE or
// the source tree's .cache (filled by scripts/setup).
#pragma once

#include <string>

namespace tilescope::pipeline {

// The default model (NanoDet-m, COCO). Throws Error with a hint to run scripts/setup
// when the file is missing.
std::string default_model_path();
// The sample video (vtest.avi from opencv-doc, copied by scripts/setup); absolute.
// Throws Error when neither the cache nor opencv-doc has it.
std::string sample_video_path();

} // namespace tilescope::pipeline
