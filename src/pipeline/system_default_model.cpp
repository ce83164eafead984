// Default model and sample media paths (default_model.h). TILESCOPE_DEFAULT_CACHE is
// the source tree's .cache, set by src/pipeline/CMakeLists.txt.
#include "tilescope/core/error.h"
#include "tilescope/pipeline/default_model.h"

#include <cstdlib>
#include <filesystem>

namespace tilescope::pipeline {
namespace {

std::filesystem::path cache_root() {
  const char* cache = std::getenv("TILESCOPE_CACHE");
  return cache != nullptr && *cache ? cache : TILESCOPE_DEFAULT_CACHE;
}

} // namespace

std::string sample_video_path() {
  const std::filesystem::path video = cache_root() / "media" / "vtest.avi";
  if (std::filesystem::exists(video)) return std::filesystem::absolute(video).string();
  const std::filesystem::path system = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
  if (std::filesystem::exists(system)) return system.string();
  throw Error("the sample video is not at " + video.string() + ": run scripts/setup, or pass --video");
}

std::string default_model_path() {
  if (const char* m = std::getenv("TILESCOPE_MODEL"); m != nullptr && *m) return m;
  const std::filesystem::path model = cache_root() / "models" / "nanodet" / "nanodet.json";
  if (!std::filesystem::exists(model)) {
    throw Error("the default model is not at " + model.string() +
                ": run scripts/setup (it fetches NanoDet-m), or pass --model");
  }
  return model.string();
}

} // namespace tilescope::pipeline
