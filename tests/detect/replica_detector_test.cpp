// Detector::open on the YOLOv8n / YOLOv5n / YOLO11n replicas (tools/gen_replicas.py,
// random weights): the head and class names come from the ONNX file alone, static
// and dynamic exports batch, and boxes land inside each image. The numbers of the
// post-processing are checked in ref_postprocess_test.cpp; this checks the wiring
// through a real engine Session. Needs the replicas fixture (label slow).
#include "tilescope/core/error.h"
#include "tilescope/detect/detector.h"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>

namespace tilescope::detect {
namespace {

// $TILESCOPE_REPLICA_DIR, else <build>/replicas (as tests/engine_replicas).
std::string replica_dir() {
  if (const char* dir = std::getenv("TILESCOPE_REPLICA_DIR"); dir != nullptr && *dir != '\0') return dir;
  return std::string(TILESCOPE_BINARY_DIR) + "/replicas";
}

cv::Mat street_like(cv::Size size, int seed) {
  cv::Mat img(size, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(img, cv::RNG::UNIFORM, 0, 256);
  cv::GaussianBlur(img, img, {0, 0}, 3.0);
  return img;
}

TEST(ReplicaDetector, OpensEveryReplicaAndDetects) {
  std::ifstream in(replica_dir() + "/manifest.json");
  if (!in) GTEST_SKIP() << replica_dir() << "/manifest.json missing (ctest -L replicas generates it)";
  const nlohmann::json manifest = nlohmann::json::parse(in);
  const std::vector<cv::Mat> images = {street_like({768, 576}, 1), street_like({480, 640}, 2)};
  int opened = 0;
  for (const nlohmann::json& c : manifest.at("cases")) {
    if (c.at("opset").get<int>() != 17) continue; // other opsets: same graph for this purpose
    const std::string model = c.at("model");
    const bool dynamic = c.at("dynamic");
    SCOPED_TRACE(c.at("onnx").get<std::string>());
    DetectorOptions options;
    options.input_size = 320; // used by the dynamic exports only
    std::optional<Detector> opened_detector;
    try {
      opened_detector.emplace(Detector::open(replica_dir() + "/" + c.at("onnx").get<std::string>(), options));
    } catch (const Error& e) { // report and go on with the other replicas
      ADD_FAILURE() << e.what();
      continue;
    }
    Detector& d = *opened_detector;
    EXPECT_EQ(d.head().name(), model.rfind("yolov5", 0) == 0 ? "yolov5" : "yolov8");
    ASSERT_EQ(d.class_names().size(), 80u);
    EXPECT_EQ(d.class_names()[0], "person");
    EXPECT_EQ(d.input_size(), dynamic ? cv::Size(320, 320) : cv::Size(640, 640));
    EXPECT_EQ(d.batch_limit(), dynamic ? 0 : 1);

    const DetectResult r = d.detect(images);
    EXPECT_EQ(r.timings.runs, dynamic ? 1 : 2);
    ASSERT_EQ(r.detections_in_image.size(), 2u);
    for (std::size_t i = 0; i < images.size(); ++i) {
      const std::vector<Detection>& dets = r.detections_in_image[i];
      EXPECT_LE(dets.size(), 300u);
      for (const Detection& det : dets) {
        ASSERT_TRUE(det.box.x1 >= 0 && det.box.x2 <= images[i].cols && det.box.y1 >= 0 &&
                    det.box.y2 <= images[i].rows && det.box.x1 <= det.box.x2 && det.box.y1 <= det.box.y2);
        ASSERT_GT(det.score, 0.25f);
        ASSERT_TRUE(det.class_id >= 0 && det.class_id < 80);
      }
      for (std::size_t k = 1; k < dets.size(); ++k)
        ASSERT_GE(dets[k - 1].score, dets[k].score);
    }
    std::printf(
        "%s: %zu + %zu detections; preprocess %.1f ms, inference %.1f ms, postprocess %.1f ms (%d runs)\n",
        c.at("onnx").get<std::string>().c_str(), r.detections_in_image[0].size(),
        r.detections_in_image[1].size(), r.timings.preprocess_ms, r.timings.inference_ms,
        r.timings.postprocess_ms, r.timings.runs);
    ++opened;
  }
  EXPECT_GE(opened, 1);
}

} // namespace
} // namespace tilescope::detect
