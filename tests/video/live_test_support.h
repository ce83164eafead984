// Shared by the LiveSource tests: the sample video, short clips made on the spot, a TCP
// port that accepts connections and never answers, and waiting on a source's status.
#pragma once

#include "tilescope/video/live_source.h"
#include "tilescope/video/video_writer.h"

#include <arpa/inet.h>
#include <chrono>
#include <filesystem>
#include <functional>
#include <netinet/in.h>
#include <opencv2/imgproc.hpp>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace tilescope::video::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The sample video (768x576, 10 fps) fetched by scripts/setup; empty when missing.
inline std::string sample_video() {
  const std::string path = TILESCOPE_SOURCE_DIR "/.cache/media/vtest.avi";
  return fs::exists(path) ? path : std::string();
}

// A folder of this test process, removed when it exits.
inline fs::path test_dir() {
  static const struct Dir {
    fs::path path = fs::temp_directory_path() / ("tilescope_live_test_" + std::to_string(::getpid()));
    Dir() { fs::create_directories(path); }
    ~Dir() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } dir;
  return dir.path;
}

// A clip of `frames` frames at `fps`, 160x120, a bright square moving over a plain background.
inline std::string make_clip(const std::string& name, int frames, double fps) {
  const std::string path = (test_dir() / name).string();
  if (fs::exists(path)) return path;
  VideoWriter writer = VideoWriter::open(path, 160, 120, fps);
  for (int i = 0; i < frames; ++i) {
    cv::Mat m(120, 160, CV_8UC3, cv::Scalar(40, 90, 160));
    cv::rectangle(m, cv::Rect(5 + 3 * i % 120, 20, 30, 30), cv::Scalar(250, 250, 250), cv::FILLED);
    writer.write(m);
  }
  writer.close();
  return path;
}

// Listens on 127.0.0.1 and never accepts: the kernel completes the TCP handshake, so a
// client connects and then waits forever for the server's first byte.
class SilentServer {
public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      port_ = 0;
    else
      port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() {
    if (fd_ >= 0) ::close(fd_);
  }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  int port() const { return port_; } // 0 when the socket could not be set up

private:
  int fd_ = -1;
  int port_ = 0;
};

// A port nothing listens on (free a moment ago): connecting there is refused at once.
inline int closed_port() {
  const SilentServer server;
  return server.port();
}

// Polls the status every 10 ms until `done` holds (true) or `limit` passes (false).
inline bool wait_status(const LiveSource& source, const std::function<bool(const SourceStatus&)>& done,
                        std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done(source.status())) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done(source.status());
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace tilescope::video::testing
