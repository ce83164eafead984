// Decode + NMS + mapping to image pixels against tools/ref_postprocess.py, a
// numpy/torch implementation of Ultralytics' (and NanoDet's) post-processing.
// The ctest fixture detect.ref_postprocess writes <build>/detect_ref/cases.json
// (seeded synthetic outputs); detect.ref_postprocess_replicas adds the PyTorch
// outputs of the YOLO replicas (tools/gen_replicas.py) as replica_cases.json.
//
// Tolerances: YOLO boxes are computed with the same float32 operations on both
// sides (cx - w / 2), and image-space boxes in float64 then rounded to float32,
// so they agree to the bit; NanoDet's softmax expectation runs in float64 on
// both sides with different exp() implementations (1e-15 relative). We allow
// 1e-4 px (float32 spacing is 3e-5 at 416 px, 2.4e-4 at 4000 px: image-space
// boxes get 1e-6 relative on top) and 1e-6 on scores, which are copied values.
#include "tilescope/detect/head.h"
#include "tilescope/detect/letterbox.h"
#include "tilescope/detect/nms.h"
#include "tilescope/engine/npy.h"

#include <cmath>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tilescope::detect {
namespace {

using nlohmann::json;

constexpr float kBoxTolerancePx = 1e-4f;
constexpr float kRelativeTolerance = 1e-6f;
constexpr float kScoreTolerance = 1e-6f;

std::string ref_dir() { return std::string(TILESCOPE_BINARY_DIR) + "/detect_ref/"; }

json load_cases(const std::string& file) {
  std::ifstream in(ref_dir() + file);
  if (!in) return json();
  return json::parse(in);
}

ModelSignature signature_of(const std::vector<engine::Tensor>& outputs, int input_h, int input_w) {
  ModelSignature s;
  engine::ValueInfo in;
  in.name = "images";
  in.has_shape = true;
  for (std::int64_t d : {std::int64_t(1), std::int64_t(3), std::int64_t(input_h), std::int64_t(input_w)})
    in.dims.push_back({d, ""});
  s.inputs = {in};
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    engine::ValueInfo v;
    v.name = "output" + std::to_string(i);
    v.dtype = outputs[i].dtype();
    v.has_shape = true;
    for (std::int64_t d : outputs[i].shape())
      v.dims.push_back({d, ""});
    s.outputs.push_back(v);
  }
  return s;
}

NmsOptions nms_options(const json& o) {
  NmsOptions n;
  n.conf_threshold = o.at("conf").get<float>();
  n.iou_threshold = o.at("iou").get<float>();
  n.max_detections = o.at("max_det").get<int>();
  n.agnostic = o.at("agnostic").get<bool>();
  n.classes = o.at("classes").get<std::vector<int>>();
  n.max_candidates = o.at("max_nms").get<int>();
  return n;
}

void expect_same(const std::vector<Detection>& got, const json& want, const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where << ": number of detections";
  for (std::size_t k = 0; k < got.size(); ++k) {
    const json& w = want[k];
    const float wx[4] = {w[0].get<float>(), w[1].get<float>(), w[2].get<float>(), w[3].get<float>()};
    const float gx[4] = {got[k].box.x1, got[k].box.y1, got[k].box.x2, got[k].box.y2};
    for (int j = 0; j < 4; ++j) {
      ASSERT_NEAR(gx[j], wx[j], kBoxTolerancePx + kRelativeTolerance * std::abs(wx[j]))
          << where << ": detection " << k << " coordinate " << j;
    }
    ASSERT_NEAR(got[k].score, w[4].get<float>(), kScoreTolerance) << where << ": detection " << k << " score";
    ASSERT_EQ(got[k].class_id, w[5].get<int>()) << where << ": detection " << k << " class";
  }
}

// Returns the number of detections compared.
std::size_t run_case(const json& c) {
  const std::string name = c.at("name");
  std::vector<engine::Tensor> outputs;
  for (const json& f : c.at("outputs"))
    outputs.push_back(engine::read_npy(ref_dir() + f.get<std::string>()));
  const int in_h = c.at("input_hw")[0], in_w = c.at("input_hw")[1];
  const cv::Size input_size(in_w, in_h);
  std::unique_ptr<Head> head =
      HeadRegistry::instance().create(c.at("head").get<std::string>(), signature_of(outputs, in_h, in_w));
  head->check_outputs(outputs, input_size);
  const NmsOptions options = nms_options(c.at("options"));

  Nms nms;
  std::vector<Detection> candidates, kept;
  std::size_t compared = 0;
  const std::int64_t batch = outputs[0].shape()[0];
  for (std::int64_t b = 0; b < batch; ++b) {
    const std::string where = name + " image " + std::to_string(b);
    candidates.clear();
    head->decode(outputs, b, input_size, options.conf_threshold, candidates);
    nms.run(candidates, options, kept);
    expect_same(kept, c.at("expected_input")[b], where + " (input pixels)");

    const json& hw = c.at("image_hw")[b];
    const LetterboxGeometry g = compute_letterbox({hw[1].get<int>(), hw[0].get<int>()}, input_size);
    std::vector<Detection> in_image = kept;
    for (Detection& d : in_image)
      d.box = g.to_image(d.box);
    expect_same(in_image, c.at("expected_image")[b], where + " (image pixels " + hw.dump() + ")");
    compared += kept.size();
  }
  return compared;
}

void run_all(const std::string& file, std::size_t min_cases) {
  const json cases = load_cases(file);
  if (cases.is_null() && file == "replica_cases.json") {
    GTEST_SKIP() << ref_dir() << file
                 << " missing: needs the replicas (ctest -L replicas runs both fixtures)";
  }
  ASSERT_FALSE(cases.is_null()) << ref_dir() << file << " missing: run the tests through ctest (fixture "
                                << "detect.ref_postprocess) or tools/ref_postprocess.py --out " << ref_dir();
  ASSERT_GE(cases.at("cases").size(), min_cases);
  for (const json& c : cases.at("cases")) {
    SCOPED_TRACE("case " + c.at("name").get<std::string>());
    const std::size_t n = run_case(c);
    if (::testing::Test::HasFailure()) return; // the first failing case is enough to read
    std::printf("%s: %zu detections agree\n", c.at("name").get<std::string>().c_str(), n);
  }
}

TEST(RefPostprocess, SyntheticOutputsMatchPython) { run_all("cases.json", 9); }

TEST(ReplicaReference, ReplicaOutputsMatchPython) { run_all("replica_cases.json", 1); }

} // namespace
} // namespace tilescope::detect
