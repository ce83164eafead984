// VideoReader: decodes a video file or stream (anything FFmpeg opens: files in
// any container, RTSP, HTTP) into BGR frames, one at a time, on the caller's
// thread. Not thread-safe; one reader per thread.
#pragma once

#include <cstdint>
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
};

class VideoReader {
public:
  // Opens `url` (a path or a URL). Throws tilescope::Error naming the source and
  // FFmpeg's reason when it cannot be opened or holds no decodable video stream.
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
