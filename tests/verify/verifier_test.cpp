// run_verification end to end on small ONNX files from the ONNX node tests
// (Debian libonnx-testdata): test_hardswish_expanded is HardSigmoid -> Mul, two
// nodes onednn runs unfused, so a fault in either must be named exactly.
#include "tilescope/verify/verifier.h"
#include "tilescope/verify/verify_report.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tilescope::verify {
namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;

const fs::path kNodeTests = "/usr/share/libonnx-testdata/data/node";

class ScopedEnv {
public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name_); }

private:
  const char* name_;
};

class VerifyRun : public testing::Test {
protected:
  void SetUp() override {
    if (!fs::exists(model_)) GTEST_SKIP() << model_ << " missing: apt-get install libonnx-testdata";
  }
  VerifyOptions options() const {
    VerifyOptions o;
    o.model_path = model_.string();
    o.n = 3;
    o.threads = 1;
    return o;
  }
  fs::path model_ = kNodeTests / "test_hardswish_expanded/model.onnx";
};

TEST_F(VerifyRun, OnednnMatchesTheReference) {
  const VerifyResult r = run_verification(options());
  EXPECT_TRUE(r.passed()) << format_text(r);
  ASSERT_EQ(r.nodes.size(), 2u);
  EXPECT_EQ(r.nodes[0].original_op, "HardSigmoid");
  EXPECT_EQ(r.nodes[1].original_op, "Mul");
  EXPECT_LT(r.nodes[0].order, r.nodes[1].order);
  EXPECT_TRUE(r.nodes[1].is_graph_output);
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.outputs[0].stats.elements, 3 * 3 * 4 * 5); // n inputs x [3,4,5]
  EXPECT_EQ(r.n, 3);
  EXPECT_FALSE(r.detections.has_value()); // not a detection model: said in a note
  EXPECT_THAT(r.notes, testing::Contains(HasSubstr("detections not compared")));
  EXPECT_THAT(format_text(r), HasSubstr("PASS"));
}

TEST_F(VerifyRun, FaultIsNamedAsTheFirstNodeBeyondBudget) {
  const VerifyResult clean = run_verification(options());
  for (std::size_t faulted : {0u, 1u}) {
    const std::string name = clean.nodes.at(faulted).node;
    SCOPED_TRACE("TILESCOPE_FAULT_NODE=" + name);
    ScopedEnv fault("TILESCOPE_FAULT_NODE", name);
    const VerifyResult r = run_verification(options());
    EXPECT_FALSE(r.passed());
    ASSERT_TRUE(r.first_failure.has_value());
    EXPECT_EQ(*r.first_failure, faulted);
    EXPECT_EQ(r.nodes[*r.first_failure].node, name);
    // The failpoint's 10% per element is rel_rmse 0.1 at the node itself.
    EXPECT_NEAR(r.nodes[faulted].stats.rel_rmse, 0.1, 0.01);
    EXPECT_FALSE(r.outputs.at(0).check.passed); // and it reaches the output
    EXPECT_THAT(format_text(r), HasSubstr("FAIL: first node beyond budget: " + name));
  }
}

TEST_F(VerifyRun, BudgetFileRuleMovesTheFirstFailure) {
  const VerifyResult clean = run_verification(options());
  const fs::path budget = fs::temp_directory_path() / "tilescope_verifier_test_budget.yaml";
  std::ofstream(budget)
      << "rules:\n  - op: HardSigmoid\n    rel_rmse: 1\n    cosine: 0\n    beyond_share: 1\n";
  ScopedEnv fault("TILESCOPE_FAULT_NODE", clean.nodes.at(0).node);
  VerifyOptions o = options();
  o.budget_path = budget.string();
  const VerifyResult r = run_verification(o);
  fs::remove(budget);
  EXPECT_EQ(r.nodes[0].budget_rule, "rules[0]");
  EXPECT_TRUE(r.nodes[0].check.passed);
  ASSERT_TRUE(r.first_failure.has_value());
  EXPECT_EQ(*r.first_failure, 1u);
}

TEST_F(VerifyRun, ReportFolderHasJsonChartAndPage) {
  const VerifyResult clean = run_verification(options());
  ScopedEnv fault("TILESCOPE_FAULT_NODE", clean.nodes.at(1).node);
  const VerifyResult r = run_verification(options());
  const fs::path dir = fs::temp_directory_path() / "tilescope_verifier_test_report";
  fs::remove_all(dir);
  const fs::path html = write_report(dir, r);
  EXPECT_EQ(html, dir / "index.html");
  EXPECT_GT(fs::file_size(dir / "errors.png"), 1000u);
  std::ifstream page_in(html);
  const std::string page((std::istreambuf_iterator<char>(page_in)), {});
  EXPECT_THAT(page, HasSubstr("errors.png"));
  EXPECT_THAT(page, HasSubstr("FAIL"));
  EXPECT_THAT(page, HasSubstr(r.nodes[1].node));
  std::ifstream json_in(dir / "report.json");
  const nlohmann::json j = nlohmann::json::parse(json_in);
  EXPECT_EQ(j["passed"], false);
  EXPECT_EQ(j["first_failure"]["node"], r.nodes[1].node);
  EXPECT_EQ(j["nodes"].size(), 2u);
  EXPECT_EQ(j["nodes"][0]["passed"], true);
  EXPECT_EQ(j["candidate"], "onednn:fp32");
  EXPECT_EQ(nlohmann::json::parse(result_json(r))["nodes_beyond_budget"], 1);
  fs::remove_all(dir);
}

TEST_F(VerifyRun, Errors) {
  VerifyOptions o = options();
  o.candidate = parse_backend_spec("onednn:int8"); // a float model: quantize it first
  EXPECT_THAT([&] { run_verification(o); },
              testing::ThrowsMessage<Error>(HasSubstr("tilescope model quantize")));
  o = options();
  o.model_path = "/nonexistent/m.onnx";
  EXPECT_THAT([&] { run_verification(o); }, testing::ThrowsMessage<Error>(HasSubstr("/nonexistent/m.onnx")));
  o = options();
  o.inputs = "/nonexistent_images";
  EXPECT_THAT([&] { run_verification(o); },
              testing::ThrowsMessage<Error>(HasSubstr("/nonexistent_images: not a folder of images")));
  o = options();
  o.budget_path = "/nonexistent/b.yaml";
  EXPECT_THAT([&] { run_verification(o); },
              testing::ThrowsMessage<Error>("/nonexistent/b.yaml: cannot open the budget file"));
}

} // namespace
} // namespace tilescope::verify
