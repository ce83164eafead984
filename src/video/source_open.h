// What LiveSource and probe_source share: the kind of source a URL names, the checks on
// SourceOptions, the reader options for FFmpeg, and the deadline that FFmpeg's interrupt
// callback enforces on each blocking operation.
#pragma once

#include "tilescope/video/live_source.h"
#include "tilescope/video/video_reader.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <string>

namespace tilescope::video {

enum class SourceKind {
  kFile,    // a path or file: URL: paced and looped per SourceOptions
  kDevice,  // /dev/videoN (FFmpeg's video4linux2 input)
  kNetwork, // rtsp, http(s), hls, ...
};

inline SourceKind source_kind(const std::string& url) {
  if (url.rfind("/dev/video", 0) == 0) return SourceKind::kDevice;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return SourceKind::kFile;
  std::string scheme = url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return scheme == "file" ? SourceKind::kFile : SourceKind::kNetwork;
}

// Empty when the options are usable, else what is wrong with them.
inline std::string check_source_options(const SourceOptions& options) {
  if (!options.rtsp_transport.empty() && options.rtsp_transport != "tcp" && options.rtsp_transport != "udp")
    return "rtsp_transport '" + options.rtsp_transport + "': expected tcp or udp";
  if (!(options.open_timeout_s > 0) || !(options.read_timeout_s > 0))
    return "open_timeout_s and read_timeout_s must be positive";
  return {};
}

// Live streams: FFmpeg may read this much before the first frame (a key frame every 1-2 s
// is common; parameters come with it).
constexpr double kLiveAnalyzeS = 1.0;

// FFmpeg's own socket timeouts (rw_timeout, RTSP's timeout) back up the interrupt deadline,
// which fires first and says which step timed out: they get a second of slack.
inline ReaderOptions make_reader_options(SourceKind kind, const SourceOptions& options, double longest_wait_s,
                                         std::function<bool()> interrupt) {
  ReaderOptions reader;
  reader.open_timeout_s = longest_wait_s + 1.0;
  reader.rtsp_transport = options.rtsp_transport;
  reader.interrupt = std::move(interrupt);
  if (kind != SourceKind::kFile) reader.analyze_s = kLiveAnalyzeS;
  return reader;
}

// The deadline of the blocking FFmpeg call in progress. The thread running the call arms
// it; FFmpeg's interrupt callback, on the same thread, asks passed(). Atomic because
// status readers may look at it too.
class OperationDeadline {
public:
  using Clock = std::chrono::steady_clock;

  void arm(double seconds) {
    seconds_ = seconds;
    expired_.store(false);
    const auto until =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    until_.store(until.time_since_epoch().count());
  }
  // True once the deadline is past; remembers it so a failure can be told apart from a timeout.
  bool passed() {
    if (Clock::now().time_since_epoch().count() <= until_.load()) return false;
    expired_.store(true);
    return true;
  }
  bool expired() const { return expired_.load(); }
  double seconds() const { return seconds_; }

private:
  std::atomic<Clock::rep> until_{0};
  std::atomic<bool> expired_{false};
  double seconds_ = 0;
};

inline std::string format_seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", seconds);
  return text;
}

// "rtsp://cam/live: timed out: no answer within 10 s while opening"
inline std::string timeout_message(const std::string& shown_url, const std::string& what, double seconds) {
  return shown_url + ": timed out: " + what + " within " + format_seconds(seconds) + " s";
}

} // namespace tilescope::video
