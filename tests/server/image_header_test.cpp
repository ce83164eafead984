// Image sizes from headers, checked against OpenCV's encoder for the real thing.
#include "http/image_header.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

namespace tilescope::server {
namespace {

std::string encode(const std::string& extension, int width, int height) {
  std::vector<unsigned char> bytes;
  cv::imencode(extension, cv::Mat(height, width, CV_8UC3, cv::Scalar(10, 20, 30)), bytes);
  return std::string(bytes.begin(), bytes.end());
}

TEST(ImageHeader, ReadsJpegAndPngSizes) {
  for (const auto& [w, h] : {std::pair{1, 1}, std::pair{640, 480}, std::pair{1921, 7}, std::pair{33, 4000}}) {
    auto jpg = read_image_header(encode(".jpg", w, h));
    ASSERT_TRUE(jpg) << w << "x" << h;
    EXPECT_EQ(jpg->format, ImageHeader::Format::kJpeg);
    EXPECT_EQ(jpg->width, w);
    EXPECT_EQ(jpg->height, h);
    auto png = read_image_header(encode(".png", w, h));
    ASSERT_TRUE(png) << w << "x" << h;
    EXPECT_EQ(png->format, ImageHeader::Format::kPng);
    EXPECT_EQ(png->width, w);
    EXPECT_EQ(png->height, h);
  }
}

TEST(ImageHeader, RejectsOtherAndTruncatedBytes) {
  const std::string jpg = encode(".jpg", 64, 48);
  EXPECT_FALSE(read_image_header(""));
  EXPECT_FALSE(read_image_header("hello, not an image"));
  EXPECT_FALSE(read_image_header(encode(".bmp", 8, 8)));
  EXPECT_FALSE(read_image_header(jpg.substr(0, 20))); // cut before the frame header
  EXPECT_FALSE(read_image_header(encode(".png", 8, 8).substr(0, 20)));
  std::string bomb = encode(".png", 8, 8);
  bomb[16] = '\x00', bomb[17] = '\x01', bomb[18] = '\x00', bomb[19] = '\x00'; // width 65536
  EXPECT_EQ(read_image_header(bomb)->width, 65536);
}

} // namespace
} // namespace tilescope::server
