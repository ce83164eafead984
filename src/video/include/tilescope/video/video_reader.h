// VideoReader: decodes a video file or stream (anything FFmpeg opens: files in
// any container, RTSP, HTTP) into BGR frames, one at a time, on the caller's
// thread. Not thread-safe; one reader per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

namespace tilescope::video {

struct VideoInfo {
  int width = 0;
  int height = 0;
  double fps = 0.0;              // average frame rate; 0 when unknown
  std::int64_t frame_count = -1; // from the container; -1 when unknown (streams)
  std::string codec;             // "h264", "mpeg4", ...
};

struct Frame {
  cv::Mat bgr;              // 8-bit BGR, width x height
  std::int64_t index = 0;   // 0-based decode order
  double timestamp_s = 0.0; // presentation time from the stream start
};

struct ReaderOptions {
  double open_timeout_s = 10.0; // network sources: connect/read timeout
  std::string rtsp_transport;   // "tcp" | "udp" | "" (FFmpeg's default)
  // How much of the stream FFmpeg may read to learn its parameters before the first frame
  // (analyzeduration); 0: FFmpeg's default, up to 5 s. Live sources want it short.
  double analyze_s = 0;
  // FFmpeg demuxer to use ("video4linux2", ...); empty: guessed from the URL (/dev/video*
  // is a V4L2 device), else from the content.
  std::string input_format;
  // Polled by FFmpeg during every blocking open, read and close (AVIOInterruptCB, on the
  // reader's thread); returning true aborts the operation, which then fails. Lets a caller
  // bound each operation by its own deadline and stop a reader that is stuck on the network.
  std::function<bool()> interrupt;
};

class VideoReader {
public:
  // Opens `url` (a path or a URL). Throws tilescope::Error naming the source (its
  // password redacted) and FFmpeg's reason when it cannot be opened or holds no decodable video stream.
  static VideoReader open(const std::string& url, const ReaderOptions& options = {});

  VideoReader(VideoReader&&) noexcept;
  VideoReader& operator=(VideoReader&&) noexcept;
  ~VideoReader();

  const VideoInfo& info() const;
  // Decodes the next frame into `frame`. Returns false at the end of the stream.
  // Throws Error on a read or decode failure (a corrupt file mid-way).
  bool read(Frame& frame);

private:
  struct Impl;
  explicit VideoReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace tilescope::video
