// Letterbox geometry against values worked out by hand with Ultralytics' rules
// (ultralytics/data/augment.py LetterBox, auto=False, scaleup=True), the tensor
// it writes, and round trips image -> input -> image.
#include "tilescope/core/error.h"
#include "tilescope/detect/letterbox.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <random>

namespace tilescope::detect {
namespace {

struct GeometryCase {
  cv::Size image;   // width, height
  cv::Size input;   // width, height
  cv::Size resized; // expected new_unpad
  int left, top;    // expected padding
  double ratio;
};

std::ostream& operator<<(std::ostream& os, const GeometryCase& c) {
  return os << "image " << c.image << " -> input " << c.input;
}

class LetterboxGeometryTest : public ::testing::TestWithParam<GeometryCase> {};

TEST_P(LetterboxGeometryTest, MatchesUltralyticsRounding) {
  const GeometryCase& c = GetParam();
  const LetterboxGeometry g = compute_letterbox(c.image, c.input);
  EXPECT_EQ(g.resized_size, c.resized);
  EXPECT_EQ(g.pad_left, c.left);
  EXPECT_EQ(g.pad_top, c.top);
  EXPECT_DOUBLE_EQ(g.scale_x, c.ratio);
  EXPECT_DOUBLE_EQ(g.scale_y, c.ratio);
  EXPECT_EQ(g.image_size, c.image);
  EXPECT_EQ(g.input_size, c.input);
}

// Each row worked by hand: r = min(in_h/h, in_w/w); new = round(w r), round(h r);
// left = round(dw - 0.1), top = round(dh - 0.1), Python rounding (half to even).
INSTANTIATE_TEST_SUITE_P(
    Hand, LetterboxGeometryTest,
    ::testing::Values(
        // 1280x720: r = 0.5, new 640x360, dh = 140 -> top 140, left round(-0.1) = 0.
        GeometryCase{{1280, 720}, {640, 640}, {640, 360}, 0, 140, 0.5},
        // vtest.avi 768x576: r = 640/768, new 640x480, dh = 80.
        GeometryCase{{768, 576}, {640, 640}, {640, 480}, 0, 80, 640.0 / 768},
        // 500x333: r = 1.28, h r = 426.24 -> 426, dh = 107 -> top round(106.9) = 107.
        GeometryCase{{500, 333}, {640, 640}, {640, 426}, 0, 107, 1.28},
        // Odd padding: 100x51 -> 64: r = 0.64, 51 r = 32.64 -> 33, dh = 15.5 -> top 15 (bottom 16).
        GeometryCase{{100, 51}, {64, 64}, {64, 33}, 0, 15, 0.64},
        // Half to even: 5x1280 -> 640: r = 0.5, 5 r = 2.5 -> 2 (std::round would give 3); dw = 319.
        GeometryCase{{5, 1280}, {640, 640}, {2, 640}, 319, 0, 0.5},
        // 7 r = 3.5 -> 4 (even), dw = 318.
        GeometryCase{{7, 1280}, {640, 640}, {4, 640}, 318, 0, 0.5},
        // Upscaling (scaleup=True): 320x240 -> r = 2, new 640x480, top 80.
        GeometryCase{{320, 240}, {640, 640}, {640, 480}, 0, 80, 2.0},
        // Rectangular input (W 640, H 384): r = min(384/1080, 640/1920) = 1/3, new 640x360, dh = 12.
        GeometryCase{{1920, 1080}, {640, 384}, {640, 360}, 0, 12, 1.0 / 3},
        // Portrait bus.jpg 810x1080 -> 640: r = 640/1080, new 480x640, dw = 80.
        GeometryCase{{810, 1080}, {640, 640}, {480, 640}, 80, 0, 640.0 / 1080},
        // Same size: no resize, no padding.
        GeometryCase{{416, 416}, {416, 416}, {416, 416}, 0, 0, 1.0}),
    [](const ::testing::TestParamInfo<GeometryCase>& info) { // e.g. image_1280x720_to_640x640
      const GeometryCase& c = info.param;
      return "image_" + std::to_string(c.image.width) + "x" + std::to_string(c.image.height) + "_to_" +
             std::to_string(c.input.width) + "x" + std::to_string(c.input.height);
    });

TEST(Letterbox, StretchModeFillsTheInput) {
  const LetterboxGeometry g = compute_letterbox({800, 400}, {416, 416}, ResizeMode::kStretch);
  EXPECT_EQ(g.resized_size, cv::Size(416, 416));
  EXPECT_EQ(g.pad_left, 0);
  EXPECT_EQ(g.pad_top, 0);
  EXPECT_DOUBLE_EQ(g.scale_x, 416.0 / 800);
  EXPECT_DOUBLE_EQ(g.scale_y, 416.0 / 400);
  const BoxXYXY back = g.to_image(g.to_input({100, 50, 700, 390}));
  EXPECT_NEAR(back.x1, 100, 1e-3);
  EXPECT_NEAR(back.y2, 390, 1e-3);
}

TEST(Letterbox, RejectsEmptySizes) {
  EXPECT_THROW(compute_letterbox({0, 10}, {640, 640}), Error);
  EXPECT_THROW(compute_letterbox({10, 10}, {640, 0}), Error);
}

// Box -> input -> image for random boxes and sizes. The mapping is affine in
// double, stored as float: 1e-3 px covers float32 rounding at 4000 px (2.4e-4).
TEST(Letterbox, BoxRoundTripIsExactToFloatRounding) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> side(1, 4000);
  for (int trial = 0; trial < 300; ++trial) {
    const cv::Size image(side(rng), side(rng));
    const cv::Size input(32 * std::uniform_int_distribution<int>(4, 40)(rng),
                         32 * std::uniform_int_distribution<int>(4, 40)(rng));
    const LetterboxGeometry g = compute_letterbox(image, input);
    std::uniform_real_distribution<float> ux(0, float(image.width)), uy(0, float(image.height));
    float xa = ux(rng), xb = ux(rng), ya = uy(rng), yb = uy(rng);
    const BoxXYXY box{std::min(xa, xb), std::min(ya, yb), std::max(xa, xb), std::max(ya, yb)};
    const BoxXYXY in = g.to_input(box);
    EXPECT_GE(in.x1, g.pad_left - 1e-3);
    EXPECT_LE(in.x2, g.pad_left + g.resized_size.width + 1.0); // new_unpad rounding: <= 0.5 px
    const BoxXYXY back = g.to_image(in);
    const float tol = 1e-3f;
    EXPECT_NEAR(back.x1, box.x1, tol) << image << " -> " << input;
    EXPECT_NEAR(back.y1, box.y1, tol) << image << " -> " << input;
    EXPECT_NEAR(back.x2, box.x2, tol) << image << " -> " << input;
    EXPECT_NEAR(back.y2, box.y2, tol) << image << " -> " << input;
  }
}

TEST(Letterbox, ToImageClampsToTheImage) {
  const LetterboxGeometry g = compute_letterbox({1280, 720}, {640, 640}); // top pad 140
  const BoxXYXY b = g.to_image({-10, 100, 700, 600});
  EXPECT_EQ(b.x1, 0.0f);
  EXPECT_EQ(b.y1, 0.0f); // inside the top padding
  EXPECT_EQ(b.x2, 1280.0f);
  EXPECT_EQ(b.y2, 720.0f);
}

// A white rectangle drawn in an image must appear in the tensor where the
// geometry says: its extent in the input, mapped back, lies within one input
// pixel (1 / r image pixels) plus one of the drawn rectangle.
TEST(Letterbox, PixelContentRoundTrip) {
  struct Case {
    cv::Size image, input;
    cv::Rect rect;
  };
  const Case cases[] = {{{768, 576}, {640, 640}, {100, 200, 37, 61}},
                        {{1920, 1080}, {640, 384}, {1500, 30, 400, 900}},
                        {{320, 240}, {640, 640}, {10, 10, 5, 7}},
                        {{333, 1000}, {416, 416}, {0, 500, 333, 100}},
                        {{100, 51}, {64, 64}, {40, 20, 20, 11}}};
  Preprocessor pre;
  for (const Case& c : cases) {
    cv::Mat img(c.image, CV_8UC3, cv::Scalar(0, 0, 0));
    cv::rectangle(img, c.rect, cv::Scalar(255, 255, 255), cv::FILLED);
    std::vector<float> chw(3 * std::size_t(c.input.area()));
    const LetterboxGeometry g = pre.fill(img, c.input, chw.data());
    int x1 = c.input.width, y1 = c.input.height, x2 = -1, y2 = -1;
    for (int y = 0; y < c.input.height; ++y) {
      for (int x = 0; x < c.input.width; ++x) {
        if (chw[std::size_t(y) * c.input.width + x] > 0.75f) {
          x1 = std::min(x1, x), y1 = std::min(y1, y), x2 = std::max(x2, x + 1), y2 = std::max(y2, y + 1);
        }
      }
    }
    ASSERT_GE(x2, 0) << "rectangle lost for image " << c.image;
    const BoxXYXY back = g.to_image({float(x1), float(y1), float(x2), float(y2)});
    const double tol = 1.0 / g.scale_x + 1.0;
    EXPECT_NEAR(back.x1, c.rect.x, tol) << c.image << " -> " << c.input;
    EXPECT_NEAR(back.y1, c.rect.y, tol) << c.image << " -> " << c.input;
    EXPECT_NEAR(back.x2, c.rect.x + c.rect.width, tol) << c.image << " -> " << c.input;
    EXPECT_NEAR(back.y2, c.rect.y + c.rect.height, tol) << c.image << " -> " << c.input;
  }
}

// 4x2 image into a 4x4 input: r = 1, no resize, one padding row above and below.
TEST(Preprocessor, UltralyticsValuesAreRgbOver255WithGreyPadding) {
  cv::Mat img(2, 4, CV_8UC3, cv::Scalar(10, 20, 30)); // B, G, R
  img.at<cv::Vec3b>(1, 3) = {0, 128, 255};
  Preprocessor pre(PreprocessSpec::ultralytics());
  std::vector<float> chw(3 * 16, -1.0f);
  const LetterboxGeometry g = pre.fill(img, {4, 4}, chw.data());
  EXPECT_EQ(g.pad_top, 1);
  const auto at = [&](int c, int y, int x) { return chw[std::size_t(c) * 16 + std::size_t(y) * 4 + x]; };
  for (int c = 0; c < 3; ++c) {
    for (int x = 0; x < 4; ++x) {
      EXPECT_EQ(at(c, 0, x), 114.0f / 255.0f); // float32 division, as torch's im /= 255
      EXPECT_EQ(at(c, 3, x), 114.0f / 255.0f);
    }
  }
  EXPECT_EQ(at(0, 1, 0), 30.0f / 255.0f); // channel 0 is red
  EXPECT_EQ(at(1, 1, 0), 20.0f / 255.0f);
  EXPECT_EQ(at(2, 1, 0), 10.0f / 255.0f);
  EXPECT_EQ(at(0, 2, 3), 1.0f);
  EXPECT_EQ(at(1, 2, 3), 128.0f / 255.0f);
  EXPECT_EQ(at(2, 2, 3), 0.0f);
}

TEST(Preprocessor, NanodetValuesAreBgrMeanStdWithBlackPadding) {
  cv::Mat img(2, 4, CV_8UC3, cv::Scalar(10, 20, 30));
  Preprocessor pre(PreprocessSpec::nanodet());
  std::vector<float> chw(3 * 16);
  pre.fill(img, {4, 4}, chw.data());
  const float mean[3] = {103.53f, 116.28f, 123.675f}, stdev[3] = {57.375f, 57.12f, 58.395f};
  const float bgr[3] = {10, 20, 30};
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(chw[std::size_t(c) * 16], (0.0f - mean[c]) / stdev[c]) << "padding, channel " << c;
    EXPECT_EQ(chw[std::size_t(c) * 16 + 4], (bgr[c] - mean[c]) / stdev[c]) << "pixel, channel " << c;
  }
}

TEST(Preprocessor, FillsOneItemOfABatchTensor) {
  engine::Tensor batch(engine::DType::kFloat32, {3, 3, 8, 8});
  cv::Mat img(8, 8, CV_8UC1, cv::Scalar(51)); // grey: converted, all channels equal
  Preprocessor pre;
  pre.fill(img, batch, 1);
  const float* d = batch.data<float>();
  const std::size_t item = 3 * 64;
  for (std::size_t i = 0; i < item; ++i) {
    ASSERT_EQ(d[i], 0.0f) << "item 0 touched at " << i;
    ASSERT_EQ(d[item + i], 51.0f / 255.0f) << "item 1 at " << i;
    ASSERT_EQ(d[2 * item + i], 0.0f) << "item 2 touched at " << i;
  }
  EXPECT_THROW(pre.fill(img, batch, 3), Error);
  engine::Tensor wrong(engine::DType::kFloat32, {1, 4, 8, 8});
  EXPECT_THROW(pre.fill(img, wrong, 0), Error);
}

TEST(Preprocessor, ResizedContentMatchesOpenCvLinear) {
  // Downscale by 2 with INTER_LINEAR = mean of 2x2 blocks: check the resize happens
  // with the expected interpolation and lands at the letterbox offset.
  cv::Mat img(40, 80, CV_8UC3);
  cv::randu(img, 0, 256);
  Preprocessor pre;
  std::vector<float> chw(3 * 40 * 40);
  const LetterboxGeometry g = pre.fill(img, {40, 40}, chw.data());
  ASSERT_EQ(g.resized_size, cv::Size(40, 20));
  ASSERT_EQ(g.pad_top, 10);
  cv::Mat expected;
  cv::resize(img, expected, {40, 20}, 0, 0, cv::INTER_LINEAR);
  for (int y = 0; y < 20; ++y) {
    for (int x = 0; x < 40; ++x) {
      const cv::Vec3b px = expected.at<cv::Vec3b>(y, x);
      ASSERT_EQ(chw[std::size_t(y + 10) * 40 + x], px[2] / 255.0f) << y << "," << x;
    }
  }
}

TEST(Preprocessor, RejectsBadImages) {
  Preprocessor pre;
  std::vector<float> chw(3 * 16);
  EXPECT_THROW(pre.fill(cv::Mat(), {4, 4}, chw.data()), Error);
  EXPECT_THROW(pre.fill(cv::Mat(4, 4, CV_32FC3), {4, 4}, chw.data()), Error);
  EXPECT_THROW(pre.fill(cv::Mat(4, 4, CV_8UC2), {4, 4}, chw.data()), Error);
}

} // namespace
} // namespace tilescope::detect
