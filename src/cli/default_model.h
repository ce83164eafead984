// Where the default model (NanoDet-m, COCO) lives: $TILESCOPE_MODEL if set,
// else <cache>/models/nanodet/nanodet.json with <cache> = $TILESCOPE_CACHE or
// the build's source tree .cache (filled by scripts/setup). The rule itself is
// tilescope/pipeline/default_model.h.
#pragma once

#include <string>

namespace tilescope::cli {

// Throws Error with a hint to run scripts/setup when the file is missing.
std::string default_model_path();
// The sample video (vtest.avi from opencv-doc, copied by scripts/setup).
std::string sample_video_path();

} // namespace tilescope::cli
