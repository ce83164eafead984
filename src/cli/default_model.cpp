#include "default_model.h"

#include "tilescope/core/error.h"

#include <cstdlib>
#include <filesystem>

namespace tilescope::cli {

namespace {

std::filesystem::path cache_root() {
  const char* cache = std::getenv("TILESCOPE_CACHE");
  return cache != nullptr && *cache ? cache : TILESCOPE_DEFAULT_CACHE;
}

} // namespace

std::string sample_video_path() {
  const std::filesystem::path video = cache_root() / "media" / "vtest.avi";
  if (std::filesystem::exists(video)) return video.string();
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

} // namespace tilescope::cli
