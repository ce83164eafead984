// LiveSource: a camera stream decoded on its own thread, keeping only the newest
// frame, reconnecting on its own.
//
//   video::LiveSource source("rtsp://cam/live", {});      // starts connecting at once
//   video::LiveFrame frame;
//   while (source.wait_frame(last_seq, frame, 500ms)) { last_seq = frame.seq; ... }
//
// The decode thread opens the URL (FFmpeg: RTSP over TCP or UDP, HTTP(S) MJPEG /
// MPEG-TS / HLS, files, V4L2 devices such as /dev/video0), decodes every frame and
// publishes it, as decoded (YUV, a reference to the decoder's buffer), into a one-frame
// slot; a frame not taken before the next one arrives is counted as dropped, so latency
// stays bounded when the consumer is slower than the camera. The consumer converts the
// frames it takes to BGR. Open and read operations time out (FFmpeg's interrupt callback); on
// any failure or end of stream the source waits (exponential backoff with jitter)
// and reconnects. Files are paced at their frame rate and, with `loop`, start over
// at the end (reconnecting is then just reopening). Nothing here logs a URL with its
// password (redact_url).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

namespace tilescope::video {

enum class SourceState {
  kConnecting, // opening (first time or after a failure)
  kLive,       // frames arriving
  kRetrying,   // failed; waiting for the next attempt (last_error says why)
  kEnded,      // a file without loop reached its end
  kStopped,    // stop() called
};
const char* to_string(SourceState state); // "connecting", "live", "retrying", "ended", "stopped"

struct SourceOptions {
  std::string rtsp_transport = "tcp"; // tcp | udp
  bool loop = true;                   // files: start over at the end
  bool pace_files = true;             // files: deliver at the stream's frame rate (like a camera)
  double open_timeout_s = 10;         // connect + first packets
  double read_timeout_s = 5;          // no packet for this long = failure
  double backoff_initial_s = 0.5;     // first retry delay; doubles each failure
  double backoff_max_s = 30;
  double backoff_jitter = 0.2; // each delay times a uniform factor in [1 - j, 1 + j]
};

struct SourceStatus {
  SourceState state = SourceState::kConnecting;
  std::string last_error; // the latest failure (kept while live again); redacted
  int reconnects = 0;     // successful opens after the first
  int failures = 0;       // failed attempts, total
  std::int64_t frames_decoded = 0;
  std::int64_t frames_dropped = 0; // replaced in the slot before anyone took them
  double input_fps = 0;            // decoded frames per second, recent average
  int width = 0, height = 0;       // of the latest frame
  std::string codec;
  double retry_in_s = 0; // kRetrying: time to the next attempt
};

struct LiveFrame {
  cv::Mat bgr;                                   // 8-bit BGR; its own buffer
  std::int64_t seq = 0;                          // 1, 2, ... over the life of the source, across reconnects
  double pts_s = 0;                              // presentation time within the current connection
  std::chrono::steady_clock::time_point arrived; // when decoding finished
  std::int64_t wall_ms = 0;                      // same instant, Unix epoch ms
};

class LiveSource {
public:
  // Starts the decode thread. Never throws for a bad URL: failures show in status().
  LiveSource(std::string url, SourceOptions options = {});
  ~LiveSource(); // stop()
  LiveSource(const LiveSource&) = delete;
  LiveSource& operator=(const LiveSource&) = delete;

  // Waits until a frame with seq > after_seq is in the slot (or `timeout`, or stop),
  // takes it, converts it to BGR into `frame` (on the caller's thread: the slot keeps
  // frames as decoded, so frames nobody takes are never converted) and returns true;
  // false on timeout or stop, and at once when a file without loop has ended and its
  // last frame was taken. `frame.bgr` gets a new buffer (never the one it held).
  bool wait_frame(std::int64_t after_seq, LiveFrame& frame, std::chrono::milliseconds timeout);
  // The same, but asks `want` first (with every field of `frame` set except bgr): a frame
  // it refuses is taken without being converted and returned with `frame.bgr` empty.
  // `want` runs on the caller's thread, with no lock held.
  bool wait_frame(std::int64_t after_seq, LiveFrame& frame, std::chrono::milliseconds timeout,
                  const std::function<bool(const LiveFrame&)>& want);
  SourceStatus status() const;
  const std::string& url() const; // as given (with password: do not log it)
  // Stops the thread (interrupting a blocking open or read). Idempotent.
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot connection test (the API's "test connection"): opens `url`, decodes one
// frame within `timeout_s`. Never throws; ok = false with the reason otherwise.
struct ProbeResult {
  bool ok = false;
  std::string error; // redacted
  int width = 0, height = 0;
  double fps = 0;
  std::string codec;
  cv::Mat frame; // the first frame (BGR) when ok
  double elapsed_ms = 0;
};
ProbeResult probe_source(const std::string& url, const SourceOptions& options, double timeout_s);

} // namespace tilescope::video
