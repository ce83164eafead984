#include "default_model.h"

#include <cstdlib>
#include <filesystem>

#include "tilescope/core/error.h"

namespace tilescope::cli {

std::string default_model_path() {
  if (const char* m = std::getenv("TILESCOPE_MODEL"); m != nullptr && *m) return m;
  const char* cache = std::getenv("TILESCOPE_CACHE");
  const std::filesystem::path root = cache != nullptr && *cache ? cache : TILESCOPE_DEFAULT_CACHE;
  const std::filesystem::path model = root / "models" / "nanodet" / "nanodet.json";
  if (!std::filesystem::exists(model)) {
    throw Error("the default model is not at " + model.string() +
                ": run scripts/setup (it fetches NanoDet-m), or pass --model");
  }
  return model.string();
}

}  // namespace tilescope::cli
