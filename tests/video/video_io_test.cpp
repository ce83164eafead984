// Video I/O through FFmpeg: round trip through our writer and reader, the
// sample video from opencv-doc, and the failures a user meets (missing file,
// not a video, truncated file).
#include "tilescope/core/error.h"
#include "tilescope/video/video_reader.h"
#include "tilescope/video/video_writer.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace tilescope::video {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  fs::path dir = fs::temp_directory_path() / ("tilescope_video_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

cv::Mat synthetic_frame(int i, int w, int h) {
  cv::Mat m(h, w, CV_8UC3, cv::Scalar(40, 90, 160));
  cv::rectangle(m, cv::Rect(10 + 4 * i, 20 + 2 * i, 40, 30), cv::Scalar(250, 250, 250), cv::FILLED);
  return m;
}

TEST(VideoIo, WriteThenReadBack) {
  const fs::path file = temp_dir() / "roundtrip.mp4";
  const int w = 160, h = 120, n = 20;
  {
    VideoWriter writer = VideoWriter::open(file.string(), w, h, 10.0);
    for (int i = 0; i < n; ++i)
      writer.write(synthetic_frame(i, w, h));
    writer.close();
  }
  VideoReader reader = VideoReader::open(file.string());
  EXPECT_EQ(reader.info().width, w);
  EXPECT_EQ(reader.info().height, h);
  EXPECT_NEAR(reader.info().fps, 10.0, 1e-6);
  Frame frame;
  int count = 0;
  while (reader.read(frame)) {
    ASSERT_EQ(frame.index, count);
    EXPECT_NEAR(frame.timestamp_s, count / 10.0, 1e-3);
    // Lossy codec: PSNR against the source frame above 30 dB means the content survived.
    EXPECT_GT(cv::PSNR(frame.bgr, synthetic_frame(count, w, h)), 30.0) << "frame " << count;
    ++count;
  }
  EXPECT_EQ(count, n);
}

// read(DecodedPicture) + BgrConverter gives what read(Frame) gives, frame by frame.
TEST(VideoIo, DecodedPicturesConvertLikeFrames) {
  const fs::path file = temp_dir() / "pictures.mp4";
  const int w = 160, h = 120, n = 12;
  {
    VideoWriter writer = VideoWriter::open(file.string(), w, h, 10.0);
    for (int i = 0; i < n; ++i)
      writer.write(synthetic_frame(i, w, h));
    writer.close();
  }
  VideoReader frames = VideoReader::open(file.string());
  VideoReader pictures = VideoReader::open(file.string());
  BgrConverter converter;
  Frame frame;
  DecodedPicture picture;
  EXPECT_TRUE(picture.empty());
  EXPECT_THROW(converter.convert(picture, frame.bgr), Error);
  int count = 0;
  while (frames.read(frame)) {
    ASSERT_TRUE(pictures.read(picture)) << "frame " << count;
    EXPECT_FALSE(picture.empty());
    EXPECT_EQ(picture.width(), w);
    EXPECT_EQ(picture.height(), h);
    EXPECT_EQ(picture.index, frame.index);
    EXPECT_DOUBLE_EQ(picture.timestamp_s, frame.timestamp_s);
    DecodedPicture moved = std::move(picture); // a reference moves, the pixels stay put
    EXPECT_TRUE(picture.empty());
    cv::Mat bgr;
    converter.convert(moved, bgr);
    EXPECT_EQ(cv::norm(bgr, frame.bgr, cv::NORM_INF), 0.0) << "frame " << count;
    ++count;
  }
  EXPECT_FALSE(pictures.read(picture));
  EXPECT_EQ(count, n);
}

TEST(VideoIo, SampleVideoFromOpencvDoc) {
  const std::string path = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
  if (!fs::exists(path)) GTEST_SKIP() << path << " missing (scripts/setup installs opencv-doc)";
  VideoReader reader = VideoReader::open(path);
  EXPECT_EQ(reader.info().width, 768);
  EXPECT_EQ(reader.info().height, 576);
  EXPECT_NEAR(reader.info().fps, 10.0, 0.01);
  Frame frame;
  int count = 0;
  while (count < 5 && reader.read(frame))
    ++count;
  EXPECT_EQ(count, 5);
  EXPECT_EQ(frame.bgr.cols, 768);
  EXPECT_GT(cv::mean(frame.bgr)[0], 10.0); // real picture, not black
}

TEST(VideoIo, MissingFileNamesThePath) {
  try {
    VideoReader::open("/nonexistent/clip.mp4");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/clip.mp4"), std::string::npos) << e.what();
  }
}

TEST(VideoIo, TextFileIsNotAVideo) {
  const fs::path file = temp_dir() / "notes.mp4";
  std::ofstream(file) << "this is not a video\n";
  EXPECT_THROW(VideoReader::open(file.string()), Error);
}

TEST(VideoIo, TruncatedFileEndsOrFailsCleanly) {
  const fs::path full = temp_dir() / "full.mp4";
  {
    VideoWriter writer = VideoWriter::open(full.string(), 160, 120, 10.0);
    for (int i = 0; i < 30; ++i)
      writer.write(synthetic_frame(i, 160, 120));
  }
  // An MP4 cut in half loses its index (moov at the end): opening must fail
  // with an Error, not crash.
  const fs::path cut = temp_dir() / "cut.mp4";
  fs::copy_file(full, cut, fs::copy_options::overwrite_existing);
  fs::resize_file(cut, fs::file_size(full) / 2);
  try {
    VideoReader reader = VideoReader::open(cut.string());
    Frame frame;
    while (reader.read(frame)) {
    }
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cut.mp4"), std::string::npos) << e.what();
  }
}

TEST(VideoIo, WriterRejectsWrongFrameSize) {
  VideoWriter writer = VideoWriter::open((temp_dir() / "size.mp4").string(), 64, 48, 5.0);
  EXPECT_THROW(writer.write(cv::Mat(10, 10, CV_8UC3)), Error);
  EXPECT_THROW(VideoWriter::open((temp_dir() / "odd.mp4").string(), 63, 48, 5.0), Error);
}

} // namespace
} // namespace tilescope::video
