// Shared by the camera pipeline and worker tests: the default model (NanoDet-m) behind
// one SharedDetector for the whole binary, the sample video, a Store in a temporary
// folder. Tests skip when scripts/setup has not fetched the model or the video.
#pragma once

#include "shared_detector.h"
#include "tilescope/store/store.h"

#include <filesystem>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <unistd.h>

namespace tilescope::pipeline::testing {

inline const std::string kModel = std::string(TILESCOPE_SOURCE_DIR) + "/.cache/models/nanodet/nanodet.json";
inline const std::string kVideo = std::string(TILESCOPE_SOURCE_DIR) + "/.cache/media/vtest.avi";

// Opening the model costs more than most tests: once per binary.
inline SharedDetector* shared_detector() {
  static std::unique_ptr<SharedDetector> detector = [] {
    std::unique_ptr<SharedDetector> d;
    if (std::filesystem::exists(kModel)) d = std::make_unique<SharedDetector>(detect::Detector::open(kModel));
    return d;
  }();
  return detector.get();
}

inline bool have_media() { return std::filesystem::exists(kModel) && std::filesystem::exists(kVideo); }

class TempStore {
public:
  explicit TempStore(const std::string& tag)
      : dir_(std::filesystem::temp_directory_path() /
             ("tilescope_" + tag + "_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(dir_);
    store_ = store::Store::open(dir_.string());
  }
  ~TempStore() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  store::Store& operator*() { return *store_; }
  store::Store* operator->() { return store_.get(); }

private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

} // namespace tilescope::pipeline::testing
