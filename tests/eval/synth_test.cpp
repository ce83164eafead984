// The synthetic small-object benchmark: ground truth consistent with the images,
// sizes in the requested range, no two objects touching, and the same bytes for
// the same seed.
#include "tilescope/eval/synth.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

namespace tilescope::eval {
namespace {

namespace fs = std::filesystem;

const fs::path kModel = fs::path(TILESCOPE_SOURCE_DIR) / ".cache/models/nanodet/nanodet.json";
const fs::path kVideo = fs::path(TILESCOPE_SOURCE_DIR) / ".cache/media/vtest.avi";

std::string read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class SynthTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!fs::exists(kModel) || !fs::exists(kVideo))
      GTEST_SKIP() << "run scripts/setup: default model or vtest.avi missing";
  }
  static SynthOptions small_options() {
    SynthOptions o;
    o.size = {640, 360};
    o.count = 3;
    o.seed = 7;
    o.min_px = 10;
    o.max_px = 40;
    o.objects_min = 4;
    o.objects_max = 6;
    o.video_path = kVideo.string();
    o.background_paths = default_background_photos();
    o.bank_frame_step = 15; // a quicker bank: every 15th of the first 300 frames
    o.bank_max_frames = 300;
    return o;
  }
};

TEST_F(SynthTest, GroundTruthMatchesTheRequest) {
  detect::Detector detector = detect::Detector::open(kModel.string());
  const fs::path out = fs::path(TILESCOPE_BINARY_DIR) / "synth_test_a";
  fs::remove_all(out);
  const SynthOptions o = small_options();
  const SynthSummary s = build_synth_benchmark(detector, o, out.string());
  EXPECT_EQ(s.images, 3);
  EXPECT_GT(s.bank_objects, 3);
  EXPECT_GE(s.objects, 3 * o.objects_min - 2); // placement may give up on a crowded image, rarely
  const nlohmann::json gt = nlohmann::json::parse(read_all(out / "instances.json"));
  ASSERT_EQ(gt["images"].size(), 3u);
  for (const auto& image : gt["images"]) {
    const cv::Mat pixels = cv::imread((out / "images" / image["file_name"].get<std::string>()).string());
    ASSERT_FALSE(pixels.empty());
    EXPECT_EQ(pixels.cols, 640);
    EXPECT_EQ(pixels.rows, 360);
  }
  std::map<int, std::vector<cv::Rect>> boxes;
  int objects = 0;
  for (const auto& a : gt["annotations"]) {
    const cv::Rect r(a["bbox"][0], a["bbox"][1], a["bbox"][2], a["bbox"][3]);
    EXPECT_EQ(a["area"].get<int>(), r.area());
    EXPECT_EQ(a["category_id"], 1) << "person is class 0, category 1";
    EXPECT_TRUE((r & cv::Rect(0, 0, 640, 360)) == r) << "box inside the image";
    if (a["iscrowd"] == 1) continue;
    objects++;
    // The longer side was drawn in [10, 40]; the tight alpha >= 0.5 box may lose a pixel a side.
    EXPECT_LE(std::max(r.width, r.height), 40);
    EXPECT_GE(std::max(r.width, r.height), 10 - 2);
    for (const cv::Rect& other : boxes[a["image_id"]])
      EXPECT_EQ((r & other).area(), 0) << "objects never overlap";
    boxes[a["image_id"]].push_back(r);
  }
  EXPECT_EQ(objects, s.objects);
  EXPECT_TRUE(fs::exists(out / "preview.jpg"));
}

TEST_F(SynthTest, SameSeedSameBenchmark) {
  detect::Detector detector = detect::Detector::open(kModel.string());
  SynthOptions o = small_options();
  o.count = 1;
  const fs::path a = fs::path(TILESCOPE_BINARY_DIR) / "synth_test_seed_a";
  const fs::path b = fs::path(TILESCOPE_BINARY_DIR) / "synth_test_seed_b";
  fs::remove_all(a);
  fs::remove_all(b);
  build_synth_benchmark(detector, o, a.string());
  build_synth_benchmark(detector, o, b.string());
  EXPECT_EQ(read_all(a / "instances.json"), read_all(b / "instances.json"));
  EXPECT_EQ(read_all(a / "images/synth_0000.jpg"), read_all(b / "images/synth_0000.jpg"));
  o.seed = 8;
  build_synth_benchmark(detector, o, b.string());
  EXPECT_NE(read_all(a / "instances.json"), read_all(b / "instances.json"));
}

TEST_F(SynthTest, BadOptionsAreNamed) {
  detect::Detector detector = detect::Detector::open(kModel.string());
  SynthOptions o = small_options();
  o.min_px = 50;
  o.max_px = 20;
  EXPECT_THROW(build_synth_benchmark(detector, o, "/tmp/never"), Error);
  o = small_options();
  o.background_paths = {"/nonexistent/bg.jpg"};
  try {
    build_synth_benchmark(detector, o, (fs::path(TILESCOPE_BINARY_DIR) / "synth_test_bad").string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/bg.jpg"), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace tilescope::eval
