#include "default_model.h"

#include "tilescope/pipeline/default_model.h"

namespace tilescope::cli {

// One place for these paths: the pipeline needs them too (`tilescope serve` with the
// default model), and the CLI links the pipeline.
std::string sample_video_path() { return pipeline::sample_video_path(); }
std::string default_model_path() { return pipeline::default_model_path(); }

} // namespace tilescope::cli
