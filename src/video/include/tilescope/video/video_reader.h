// VideoReader: decodes a video file or stream (anything FFmpeg opens: files in
// any container, RTSP, HTTP) into BGR frames, one at a time, on the caller's
// thread. Not thread-safe; one reader per thread.
//
// A caller that may drop frames (a live camera keeping only the newest) reads
// DecodedPicture instead and converts only the frames it keeps: the colour conversion
// to BGR costs about as much as decoding a frame.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

struct AVFrame; // FFmpeg's
struct SwsContext;

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

// A decoded frame before colour conversion: a reference to the decoder's buffer (no
// copy), so keeping it costs nothing but that buffer. Movable, not copyable.
class DecodedPicture {
public:
  DecodedPicture();
  ~DecodedPicture();
  DecodedPicture(DecodedPicture&& other) noexcept;
  DecodedPicture& operator=(DecodedPicture&& other) noexcept;
  DecodedPicture(const DecodedPicture&) = delete;
  DecodedPicture& operator=(const DecodedPicture&) = delete;

  bool empty() const;
  int width() const;
  int height() const;
  void reset(); // releases the buffer

  std::int64_t index = 0;   // 0-based decode order
  double timestamp_s = 0.0; // presentation time from the stream start

private:
  friend class VideoReader;
  friend class BgrConverter;
  AVFrame* frame_ = nullptr; // never null after construction (moved-from: a fresh empty one)
};

// Converts DecodedPicture to 8-bit BGR; keeps FFmpeg's scaler between calls (one per
// frame size and pixel format). Not thread-safe: one converter per thread, or a lock.
class BgrConverter {
public:
  BgrConverter() = default;
  ~BgrConverter();
  BgrConverter(const BgrConverter&) = delete;
  BgrConverter& operator=(const BgrConverter&) = delete;

  // Writes `picture` into `bgr` (allocated when its size or type differ: a Mat shared
  // with someone else must be released first). Throws Error when the picture is empty or
  // its pixel format cannot be converted.
  void convert(const DecodedPicture& picture, cv::Mat& bgr);

private:
  SwsContext* sws_ = nullptr;
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
  // The same without the conversion to BGR (BgrConverter does it when wanted).
  bool read(DecodedPicture& picture);

private:
  struct Impl;
  explicit VideoReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace tilescope::video
