// The ONNX node-test runner of `tilescope verify --onnx-node-tests` on a few
// operators, its allclose rule and its expected-failures file format.
#include "tilescope/verify/onnx_node_suite.h"

#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tilescope::verify {
namespace {

namespace fs = std::filesystem;
using engine::Tensor;
using testing::HasSubstr;

const fs::path kNodeTests = "/usr/share/libonnx-testdata/data/node";

class VerifyNodeSuite : public testing::Test {
protected:
  void SetUp() override {
    if (!fs::is_directory(kNodeTests))
      GTEST_SKIP() << kNodeTests << " missing: apt-get install libonnx-testdata";
  }
};

const OperatorSummary* find_op(const NodeSuiteResult& r, const std::string& op) {
  for (const OperatorSummary& s : r.operators) {
    if (s.op == op) return &s;
  }
  return nullptr;
}

TEST_F(VerifyNodeSuite, FewOperatorsPassOnBothBackends) {
  for (engine::Backend backend : {engine::Backend::kOnednn, engine::Backend::kReference}) {
    SCOPED_TRACE(std::string(engine::backend_name(backend)));
    NodeSuiteOptions options;
    options.backend = backend;
    options.ops = {"Relu", "Conv", "Reshape"};
    const NodeSuiteResult r = run_node_suite(kNodeTests, options);
    const std::string table = format_node_suite(r);
    EXPECT_EQ(r.failed, 0) << table;
    const OperatorSummary* conv = find_op(r, "Conv");
    ASSERT_NE(conv, nullptr) << table;
    // onnx 1.12's data: test_conv_with_{autopad_same, strides_and_asymmetric_padding,
    // strides_no_padding, strides_padding} and test_basic_conv_{with,without}_padding.
    EXPECT_EQ(conv->cases, 6) << table;
    EXPECT_EQ(conv->passed, 6) << table;
    // Reshape's shape input is frozen (shape_like_inputs), so every case runs.
    const OperatorSummary* reshape = find_op(r, "Reshape");
    ASSERT_NE(reshape, nullptr) << table;
    EXPECT_GT(reshape->passed, 5) << table;
    EXPECT_THAT(table, HasSubstr("op"));
    EXPECT_THAT(table, HasSubstr("unsupported"));
  }
}

TEST_F(VerifyNodeSuite, UnsupportedOperatorsAreCountedNotFailed) {
  NodeSuiteOptions options;
  options.ops = {"Mod"}; // the engine has no Mod
  const NodeSuiteResult r = run_node_suite(kNodeTests, options);
  const OperatorSummary* mod = find_op(r, "Mod");
  ASSERT_NE(mod, nullptr) << format_node_suite(r);
  EXPECT_GT(mod->unsupported, 0);
  EXPECT_EQ(mod->failed, 0);
  EXPECT_EQ(mod->passed, 0);
}

TEST_F(VerifyNodeSuite, ShapeLikeInputs) {
  const std::vector<NodeTestCase> cases = list_node_tests(kNodeTests);
  EXPECT_GT(cases.size(), 500u);
  auto it = std::find_if(cases.begin(), cases.end(),
                         [](const NodeTestCase& c) { return c.folder == "test_reshape_reduced_dims"; });
  ASSERT_NE(it, cases.end());
  EXPECT_EQ(it->ops, "Reshape");
  EXPECT_TRUE(it->unsupported_ops.empty());
  const NodeTestOutcome outcome = run_node_test(*it, engine::Backend::kOnednn);
  EXPECT_EQ(outcome.status, NodeTestStatus::kPassed) << outcome.detail;
  EXPECT_EQ(outcome.data_sets, 1);
}

TEST(VerifyNodeSuiteCompare, AllcloseRule) {
  const Tensor want = Tensor::from<float>({3}, {1, 100, 0});
  // atol 1e-7 + rtol 1e-3 * |want|: 1e-3 at 1, 0.1 at 100.
  EXPECT_EQ(compare_allclose(Tensor::from<float>({3}, {1.0009f, 100.09f, 0}), want), "");
  EXPECT_THAT(compare_allclose(Tensor::from<float>({3}, {1.002f, 100, 0}), want),
              HasSubstr("1 of 3 elements differ"));
  EXPECT_THAT(compare_allclose(Tensor::from<float>({1, 3}, {1, 100, 0}), want), HasSubstr("shape [1,3]"));
  EXPECT_THAT(compare_allclose(Tensor::from<std::int64_t>({3}, {1, 100, 0}), want), HasSubstr("dtype int64"));
}

TEST(VerifyNodeSuiteCompare, ExpectedFailuresFile) {
  const fs::path path = fs::temp_directory_path() / "tilescope_expected_failures_test.txt";
  std::ofstream(path) << "# comment\n^test_a_\tno reason needed here\n^test_b_\tfreeze=x,y\tshape inputs\n"
                      << "bad line without tab\n([\tbroken regex\n";
  std::vector<std::string> errors;
  const auto list = read_expected_failures(path, &errors);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_TRUE(list[0].freeze.empty());
  EXPECT_THAT(list[1].freeze, testing::ElementsAre("x", "y"));
  EXPECT_EQ(find_expected_failure(list, "test_b_onednn"), &list[1]);
  EXPECT_EQ(find_expected_failure(list, "test_c_onednn"), nullptr);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_THAT(errors[0], HasSubstr(":4: expected '<regex> TAB <reason>'"));
  EXPECT_THAT(errors[1], HasSubstr(":5: bad regex"));
  EXPECT_THAT([&] { read_expected_failures(path); }, testing::Throws<Error>());
  fs::remove(path);
}

} // namespace
} // namespace tilescope::verify
