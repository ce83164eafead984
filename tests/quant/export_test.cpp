// `tilescope model export` (quant::export_model): the default model (NanoDet-m,
// TF.js) written as ONNX computes what the TF.js graph computes, and bad paths
// fail naming the path.
#include "tilescope/core/error.h"
#include "tilescope/engine/session.h"
#include "tilescope/quant/export.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <random>
#include <unistd.h>

namespace tilescope::quant {
namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;

std::string nanodet_model() {
  return std::string(TILESCOPE_SOURCE_DIR) + "/.cache/models/nanodet/nanodet.json";
}

TEST(ExportModel, ErrorsNameThePath) {
  EXPECT_THAT([] { export_model("/nonexistent/model.onnx", "/tmp/x.onnx"); },
              testing::ThrowsMessage<Error>(HasSubstr("/nonexistent/model.onnx")));
  if (!fs::exists(nanodet_model())) GTEST_SKIP() << nanodet_model() << " missing (scripts/setup fetches it)";
  EXPECT_THAT([] { export_model(nanodet_model(), "/nonexistent/dir/out.onnx"); },
              testing::ThrowsMessage<Error>(HasSubstr("/nonexistent/dir/out.onnx")));
}

// Both files on the onednn backend with one seeded input: the ONNX file holds the
// same graph, so the outputs agree to float32 rounding (in practice exactly).
TEST(ModelExport, NanodetOnnxMatchesTfjs) {
  if (!fs::exists(nanodet_model())) GTEST_SKIP() << nanodet_model() << " missing (scripts/setup fetches it)";
  const fs::path out =
      fs::temp_directory_path() / ("tilescope_export_" + std::to_string(::getpid()) + ".onnx");
  export_model(nanodet_model(), out.string());
  engine::SessionOptions options;
  options.threads = 2;
  engine::Session tfjs = engine::Session::open(nanodet_model(), options);
  engine::Session onnx = engine::Session::open(out.string(), options);
  fs::remove(out);
  engine::Tensor input(engine::DType::kFloat32, {1, 3, 416, 416});
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (float& v : input.values<float>())
    v = uniform(rng);
  const std::vector<engine::Tensor> expected = tfjs.run(input);
  const std::vector<engine::Tensor> got = onnx.run(input);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].shape(), expected[i].shape()) << "output " << i;
    const auto a = got[i].values<float>();
    const auto b = expected[i].values<float>();
    double worst = 0, scale = 0;
    for (std::size_t k = 0; k < a.size(); ++k) {
      worst = std::max(worst, static_cast<double>(std::fabs(a[k] - b[k])));
      scale = std::max(scale, static_cast<double>(std::fabs(b[k])));
    }
    EXPECT_LE(worst, 1e-6 * scale) << "output " << i;
  }
}

} // namespace
} // namespace tilescope::quant
