// The ONNX backend node tests of QuantizeLinear and DequantizeLinear (Debian
// libonnx-testdata: test_quantizelinear, _axis, test_dequantizelinear, _axis)
// on both backends, through the runner `tilescope verify --onnx-node-tests`
// uses (src/verify/onnx_node_suite.h): ONNX's own expected outputs, integers
// exactly. DynamicQuantizeLinear is another operator and is not supported.
#include "tilescope/verify/onnx_node_suite.h"

#include <gtest/gtest.h>

namespace tilescope::quant {
namespace {

const std::filesystem::path kNodeTests = "/usr/share/libonnx-testdata/data/node";

class OnnxNodeQdq : public testing::TestWithParam<engine::Backend> {};

TEST_P(OnnxNodeQdq, QuantizeAndDequantizeCasesPass) {
  if (!std::filesystem::exists(kNodeTests)) GTEST_SKIP() << kNodeTests << " missing (libonnx-testdata)";
  verify::NodeSuiteOptions options;
  options.backend = GetParam();
  options.ops = {"QuantizeLinear", "DequantizeLinear"};
  const verify::NodeSuiteResult r = verify::run_node_suite(kNodeTests, options);
  std::printf("%s", verify::format_node_suite(r).c_str());
  int passed = 0;
  for (const verify::OperatorSummary& op : r.operators) {
    if (op.op != "QuantizeLinear" && op.op != "DequantizeLinear") continue;
    passed += op.passed;
    EXPECT_EQ(op.failed, 0) << op.op;
    for (const std::string& failed : op.failed_cases)
      ADD_FAILURE() << failed;
  }
  EXPECT_GE(passed, 4); // _axis and plain, for both operators
}

INSTANTIATE_TEST_SUITE_P(Backends, OnnxNodeQdq,
                         testing::Values(engine::Backend::kReference, engine::Backend::kOnednn),
                         [](const auto& info) { return std::string(engine::backend_name(info.param)); });

} // namespace
} // namespace tilescope::quant
