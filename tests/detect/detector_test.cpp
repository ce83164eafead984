// Detector end to end on a tiny in-memory "model" whose output is its input
// rearranged, so each detection follows from chosen pixels by hand:
//
//   images [B, 3, 32, 32] --Reshape [B, 6, 512]--> --Mul [32,32,32,32,1,1]--> output0 [B, 6, 512]
//
// read as a YOLOv8 output with 2 classes. Anchor a (0..511) takes pixel
// (y = a / 32, x = a % 32) of the top half and (y + 16, x) of the bottom half:
//   cx = R(y, x) / 255 * 32   cy = R(y+16, x) / 255 * 32
//   w  = G(y, x) / 255 * 32   h  = G(y+16, x) / 255 * 32
//   score class 0 = B(y, x) / 255,  score class 1 = B(y+16, x) / 255
// This checks RGB order, /255, batching, decode, NMS and the mapping back to
// image pixels through the real Session (reference backend).
#include "tilescope/core/error.h"
#include "tilescope/detect/detector.h"

#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace tilescope::detect {
namespace {

constexpr int kSide = 32;

engine::Node node(std::string name, std::string op, std::vector<std::string> in,
                  std::vector<std::string> out) {
  engine::Node n;
  n.name = std::move(name);
  n.op_type = std::move(op);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

engine::Graph rearranging_model(std::int64_t batch) {
  engine::Graph g;
  g.opset = 17;
  g.inputs.push_back({"images",
                      engine::DType::kFloat32,
                      {{batch, batch < 0 ? "batch" : ""}, {3, ""}, {kSide, ""}, {kSide, ""}},
                      true});
  g.outputs.push_back(
      {"output0", engine::DType::kFloat32, {{batch, batch < 0 ? "batch" : ""}, {6, ""}, {512, ""}}, true});
  g.initializers.emplace("shape", engine::Tensor::from<std::int64_t>({3}, {-1, 6, 512}));
  g.initializers.emplace("scale", engine::Tensor::from<float>({1, 6, 1}, {32, 32, 32, 32, 1, 1}));
  g.nodes.push_back(node("reshape", "Reshape", {"images", "shape"}, {"r"}));
  g.nodes.push_back(node("mul", "Mul", {"r", "scale"}, {"output0"}));
  g.metadata["names"] = "{0: 'knife', 1: 'gun'}";
  return g;
}

Detector make_detector(std::int64_t batch = -1, DetectorOptions options = {}) {
  options.session.backend = engine::Backend::kReference;
  return Detector::create(engine::Session::from_graph(rearranging_model(batch), options.session), options);
}

// Writes one anchor's box and score into a 32x32 BGR image (zeros elsewhere).
void put_anchor(cv::Mat& img, int anchor, std::uint8_t cx, std::uint8_t cy, std::uint8_t w, std::uint8_t h,
                std::uint8_t score, int cls) {
  const int y = anchor / kSide, x = anchor % kSide;
  img.at<cv::Vec3b>(y, x) = {std::uint8_t(cls == 0 ? score : 0), w, cx};
  img.at<cv::Vec3b>(y + 16, x) = {std::uint8_t(cls == 1 ? score : 0), h, cy};
}

// The detection put_anchor encodes, with the same float operations as the
// preprocessing (p / 255), the Mul (x 32) and the head (c -/+ size / 2).
Detection expected(std::uint8_t cx, std::uint8_t cy, std::uint8_t w, std::uint8_t h, std::uint8_t score,
                   int cls, float image_per_input = 1.0f) {
  const auto px = [](std::uint8_t v) { return (float(v) / 255.0f) * 32.0f; };
  const float hw = px(w) / 2, hh = px(h) / 2;
  return {{(px(cx) - hw) * image_per_input, (px(cy) - hh) * image_per_input, (px(cx) + hw) * image_per_input,
           (px(cy) + hh) * image_per_input},
          float(score) / 255.0f,
          cls};
}

void expect_detections(const std::vector<Detection>& got, const std::vector<Detection>& want,
                       const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    // Same float operations on both sides: exact but for the double round trip of
    // to_image (input -> image divides by r = 1 or 0.5): 1e-5 px.
    EXPECT_NEAR(got[i].box.x1, want[i].box.x1, 1e-5) << what << " #" << i;
    EXPECT_NEAR(got[i].box.y1, want[i].box.y1, 1e-5) << what << " #" << i;
    EXPECT_NEAR(got[i].box.x2, want[i].box.x2, 1e-5) << what << " #" << i;
    EXPECT_NEAR(got[i].box.y2, want[i].box.y2, 1e-5) << what << " #" << i;
    EXPECT_EQ(got[i].score, want[i].score) << what << " #" << i;
    EXPECT_EQ(got[i].class_id, want[i].class_id) << what << " #" << i;
  }
}

struct Scene {
  cv::Mat a = cv::Mat(kSide, kSide, CV_8UC3, cv::Scalar::all(0));
  cv::Mat b = cv::Mat(kSide, kSide, CV_8UC3, cv::Scalar::all(0));
  std::vector<Detection> want_a, want_b;
  Scene() {
    put_anchor(a, 37, 128, 64, 51, 102, 200, 0);  // knife
    put_anchor(a, 300, 200, 150, 40, 40, 180, 1); // gun
    put_anchor(a, 301, 202, 151, 40, 40, 170, 1); // the same gun again: suppressed by NMS
    want_a = {expected(128, 64, 51, 102, 200, 0), expected(200, 150, 40, 40, 180, 1)};
    put_anchor(b, 5, 30, 30, 60, 60, 250, 1);
    want_b = {expected(30, 30, 60, 60, 250, 1)};
  }
};

TEST(Detector, ReadsNamesAndHeadFromTheModel) {
  Detector d = make_detector();
  EXPECT_EQ(d.head().name(), "yolov8");
  EXPECT_EQ(d.class_names(), (std::vector<std::string>{"knife", "gun"}));
  EXPECT_EQ(d.input_size(), cv::Size(kSide, kSide));
  EXPECT_EQ(d.batch_limit(), 0);
}

TEST(Detector, BatchesAllImagesInOneRun) {
  Detector d = make_detector();
  Scene s;
  const DetectResult r = d.detect({s.a, s.b});
  ASSERT_EQ(r.detections_in_image.size(), 2u);
  expect_detections(r.detections_in_image[0], s.want_a, "image a");
  expect_detections(r.detections_in_image[1], s.want_b, "image b");
  EXPECT_EQ(r.timings.runs, 1);
  EXPECT_GE(r.timings.preprocess_ms, 0.0);
  EXPECT_GT(r.timings.inference_ms, 0.0);
  EXPECT_GE(r.timings.postprocess_ms, 0.0);
}

TEST(Detector, MaxBatchAndFixedBatchSplitRuns) {
  Scene s;
  DetectorOptions one;
  one.max_batch = 1;
  Detector d1 = make_detector(-1, one);
  const DetectResult r1 = d1.detect({s.a, s.b, s.a});
  EXPECT_EQ(r1.timings.runs, 3);
  expect_detections(r1.detections_in_image[2], s.want_a, "max_batch 1, image 3");

  Detector d2 = make_detector(2); // the model fixes batch 2: 3 images take 2 runs
  EXPECT_EQ(d2.batch_limit(), 2);
  const DetectResult r2 = d2.detect({s.b, s.a, s.b});
  EXPECT_EQ(r2.timings.runs, 2);
  expect_detections(r2.detections_in_image[0], s.want_b, "fixed batch, image 1");
  expect_detections(r2.detections_in_image[1], s.want_a, "fixed batch, image 2");
  expect_detections(r2.detections_in_image[2], s.want_b, "fixed batch, image 3 (half-filled batch)");
  EXPECT_TRUE(d2.detect({}).detections_in_image.empty());
}

// A 64x64 image made of 2x2 blocks letterboxes (r = 0.5, INTER_LINEAR averages
// each block) into the same tensor: boxes come back twice as large.
TEST(Detector, MapsBoxesBackToImagePixels) {
  Detector d = make_detector();
  Scene s;
  cv::Mat big;
  cv::resize(s.a, big, {2 * kSide, 2 * kSide}, 0, 0, cv::INTER_NEAREST);
  const DetectResult r = d.detect({big});
  std::vector<Detection> want = s.want_a;
  for (Detection& w : want)
    w.box = {w.box.x1 * 2, w.box.y1 * 2, w.box.x2 * 2, w.box.y2 * 2};
  expect_detections(r.detections_in_image[0], want, "64x64 image");
}

TEST(Detector, OptionsReachNms) {
  Detector d = make_detector();
  Scene s;
  DetectOptions o;
  o.nms.classes = {1};
  expect_detections(d.detect({s.a}, o).detections_in_image[0], {s.want_a[1]}, "classes {1}");
  o = {};
  o.nms.conf_threshold = 0.75f; // 200/255 = 0.78 stays, 180/255 = 0.71 goes
  expect_detections(d.detect({s.a}, o).detections_in_image[0], {s.want_a[0]}, "conf 0.75");
  o = {};
  o.nms.iou_threshold = 2.0f;
  EXPECT_THROW(d.detect({s.a}, o), Error);
}

TEST(Detector, BadImagesFailBeforeAnyWork) {
  Detector d = make_detector();
  Scene s;
  try {
    d.detect({s.a, cv::Mat(), s.b});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("image 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(d.detect({cv::Mat(8, 8, CV_32FC3)}), Error);
}

TEST(Detector, LabelsFileWinsAndMustFit) {
  const std::string path = ::testing::TempDir() + "detector_labels.txt";
  DetectorOptions o;
  o.labels_path = path;
  std::ofstream(path) << "blade\npistol\n";
  EXPECT_EQ(make_detector(-1, o).class_names(), (std::vector<std::string>{"blade", "pistol"}));
  std::ofstream(path) << "blade\npistol\nperson\n";
  try {
    make_detector(-1, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("3 class names"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(Detector, RejectsModelsThatAreNotDetectors) {
  engine::Graph g = rearranging_model(1);
  g.metadata["names"] = "{0: 'unterminated}";
  engine::SessionOptions reference;
  reference.backend = engine::Backend::kReference;
  EXPECT_THROW(Detector::create(engine::Session::from_graph(std::move(g), reference)), Error);

  DetectorOptions head;
  head.head = "nanodet";
  EXPECT_THROW(make_detector(1, head), Error);
}

} // namespace
} // namespace tilescope::detect
