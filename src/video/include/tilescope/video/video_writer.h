// VideoWriter: encodes BGR frames into an MP4 file (H.264 through libx264 when
// FFmpeg has it, else MPEG-4 part 2), at a constant frame rate.
#pragma once

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

namespace tilescope::video {

class VideoWriter {
public:
  // Throws tilescope::Error naming the path when the file or encoder cannot be opened.
  static VideoWriter open(const std::string& path, int width, int height, double fps);

  VideoWriter(VideoWriter&&) noexcept;
  VideoWriter& operator=(VideoWriter&&) noexcept;
  ~VideoWriter(); // closes (finishes the file) if close() was not called

  // `bgr` must be width x height, 8-bit BGR.
  void write(const cv::Mat& bgr);
  // Flushes the encoder and writes the MP4 trailer. Idempotent.
  void close();

private:
  struct Impl;
  explicit VideoWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace tilescope::video
