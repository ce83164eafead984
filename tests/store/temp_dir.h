// A fresh folder under the system temp directory, removed with everything in it.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace tilescope::store::testing {

class TempDir {
public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("tilescope-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string str() const { return path_.string(); }
  std::filesystem::path path() const { return path_; }

private:
  std::filesystem::path path_;
};

} // namespace tilescope::store::testing
