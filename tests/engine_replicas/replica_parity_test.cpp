// Parity of engine::Session with PyTorch on replicas of Ultralytics YOLOv8n, YOLOv5n and YOLO11n.
//
// tools/gen_replicas.py (ctest fixture `replicas.generate`) exports each replica the way
// `yolo export format=onnx` does, at opsets 12 and 17, twice: static [1,3,640,640], and with
// dynamic batch/height/width (like `dynamic=True`), run here at [4,3,256,320] so the session
// specialises shapes per run. Its output0.npy is PyTorch's output computed in float64 from the
// exported float32 weights, so all that separates a correct runtime from it is float32 rounding.
//
// Tolerance. Random deep nets amplify rounding: on these fixtures PyTorch's own float32 run is
// 0.9e-5 to 4e-5 of the largest output magnitude away from the float64 oracle (box coordinates
// reach ~1500 px; a 1e-4 logit error moves a YOLOv5 w/h by ~0.07 px), and ONNX Runtime 1.30 is
// 0.7-0.9x that (measured with bench/ort_bench.mjs --expect). So boxes and scores are each held
// to a multiple of the PyTorch float32 error the generator recorded for the same fixture in
// manifest.json (boxes and scores separately: scores in [0,1] would hide under the box scale):
//   reference 1x: it accumulates in double and rounds only each op's output to float32, so it
//     must beat a float32 runtime; measured 0.18-0.25x (1.4e-6 to 4.6e-6 of max |output|).
//   onednn 4x: float32 accumulation in oneDNN's own blocking order, fused post-ops; measured
//     1.0-1.3x (8e-6 to 3.2e-5 of max |output|).
// Any real bug (wrong padding, anchor, activation, axis) is orders of magnitude larger.
//
// The replica folder: $TILESCOPE_REPLICA_DIR, else <build>/replicas. Run one case with e.g.
// --gtest_filter='*yolo11n_op17_640_dynamic_onednn*'.
#include "tilescope/engine/npy.h"
#include "tilescope/engine/session.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace tilescope::engine {
namespace {

// Multiples of PyTorch's recorded float32 error (see the header comment for the measurements).
constexpr double kReferenceMultiple = 1.0;
constexpr double kOnednnMultiple = 4.0;

struct ReplicaCase {
  std::string model; // yolov8n | yolov5n | yolo11n
  int opset = 17;
  bool dynamic = false;
  Backend backend = Backend::kReference;

  std::string stem() const {
    return model + "_op" + std::to_string(opset) + "_640" + (dynamic ? "_dynamic" : "");
  }
  std::string name() const { return stem() + "_" + std::string(backend_name(backend)); }
  double multiple() const { return backend == Backend::kReference ? kReferenceMultiple : kOnednnMultiple; }
};

// gtest prints this for a failing case instead of the struct's bytes.
void PrintTo(const ReplicaCase& c, std::ostream* os) { *os << c.name(); }

std::vector<ReplicaCase> all_cases() {
  std::vector<ReplicaCase> cases;
  for (const char* model : {"yolov8n", "yolov5n", "yolo11n"}) {
    for (int opset : {12, 17}) {
      for (bool dynamic : {false, true}) {
        for (Backend backend : {Backend::kReference, Backend::kOnednn}) {
          cases.push_back({model, opset, dynamic, backend});
        }
      }
    }
  }
  return cases;
}

std::filesystem::path replica_dir() {
  if (const char* dir = std::getenv("TILESCOPE_REPLICA_DIR"); dir != nullptr && *dir != '\0') return dir;
  return std::filesystem::path(TILESCOPE_BINARY_DIR) / "replicas";
}

// Max |got - want| over one part of the output, with the flat index where it occurs.
struct PartError {
  double max_abs_err = 0.0;
  double max_abs_want = 0.0;
  std::int64_t where = -1;
};

// Output layouts: YOLOv8/YOLO11 [N, 4 + nc, A] (rows 0-3 boxes), YOLOv5 [N, A, 5 + nc] (columns 0-3 boxes).
bool is_box_element(const Shape& shape, bool anchors_last, std::int64_t flat) {
  if (anchors_last) return (flat / shape[2]) % shape[1] < 4;
  return flat % shape[2] < 4;
}

void measure(const Tensor& got, const Tensor& want, bool anchors_last, PartError& boxes, PartError& scores) {
  const auto g = got.values<float>();
  const auto w = want.values<float>();
  for (std::int64_t i = 0; i < want.size(); ++i) {
    PartError& part = is_box_element(want.shape(), anchors_last, i) ? boxes : scores;
    const double err = std::isfinite(g[i]) ? std::abs(static_cast<double>(g[i]) - w[i]) : INFINITY;
    part.max_abs_want = std::max(part.max_abs_want, std::abs(static_cast<double>(w[i])));
    if (!(err <= part.max_abs_err)) {
      part.max_abs_err = err;
      part.where = i;
    }
  }
}

std::string describe(const char* part, const PartError& e, double limit, const Tensor& got,
                     const Tensor& want) {
  std::ostringstream s;
  s << part << ": max |err| " << e.max_abs_err << " (" << e.max_abs_err / e.max_abs_want << " of max |want| "
    << e.max_abs_want << "), limit " << limit;
  if (e.where >= 0) {
    s << "; worst at flat index " << e.where << ": got " << got.values<float>()[e.where] << ", want "
      << want.values<float>()[e.where];
  }
  return s.str();
}

class ReplicaParity : public ::testing::TestWithParam<ReplicaCase> {};

TEST_P(ReplicaParity, MatchesPyTorchFloat64) {
  const ReplicaCase& c = GetParam();
  const std::filesystem::path dir = replica_dir();
  const std::filesystem::path manifest_path = dir / "manifest.json";
  std::ifstream manifest_file(manifest_path);
  ASSERT_TRUE(manifest_file) << manifest_path << " missing: run `ctest -R replicas.generate` or "
                             << "/usr/bin/python3 tools/gen_replicas.py --out " << dir;
  const nlohmann::json manifest = nlohmann::json::parse(manifest_file);
  const nlohmann::json* entry = nullptr;
  for (const auto& e : manifest.at("cases")) {
    if (e.at("onnx") == c.stem() + ".onnx") entry = &e;
  }
  ASSERT_NE(entry, nullptr) << c.stem() << ".onnx is not in " << manifest_path;

  SessionOptions options;
  options.backend = c.backend;
  Session session = Session::open((dir / entry->at("onnx").get<std::string>()).string(), options);
  const Tensor input = read_npy((dir / entry->at("input").get<std::string>()).string());
  const Tensor want = read_npy((dir / entry->at("output0").get<std::string>()).string());

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Tensor> outputs = session.run(input);
  const double run_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(outputs.size(), 1u);
  const Tensor& got = outputs[0];
  ASSERT_EQ(got.dtype(), DType::kFloat32);
  ASSERT_EQ(got.shape(), want.shape())
      << "got " << shape_str(got.shape()) << ", want " << shape_str(want.shape());

  const bool anchors_last = c.model != "yolov5n";
  PartError boxes, scores;
  measure(got, want, anchors_last, boxes, scores);
  const auto& f32 = entry->at("torch_float32_max_abs_err");
  const double box_limit = c.multiple() * f32.at("boxes").get<double>();
  const double score_limit = c.multiple() * f32.at("scores").get<double>();
  const double max_abs = std::max(boxes.max_abs_want, scores.max_abs_want);
  const std::string report = c.name() + " input " + shape_str(input.shape()) + " (" + std::to_string(run_ms) +
                             " ms, first run)\n  " + describe("boxes", boxes, box_limit, got, want) + "\n  " +
                             describe("scores", scores, score_limit, got, want) +
                             "\n  max |err| / max |output|: " +
                             std::to_string(std::max(boxes.max_abs_err, scores.max_abs_err) / max_abs);
  std::cout << report << "\n";
  EXPECT_LE(boxes.max_abs_err, box_limit) << report;
  EXPECT_LE(scores.max_abs_err, score_limit) << report;
}

INSTANTIATE_TEST_SUITE_P(Replicas, ReplicaParity, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<ReplicaCase>& info) { return info.param.name(); });

} // namespace
} // namespace tilescope::engine
