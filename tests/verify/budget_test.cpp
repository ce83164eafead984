// Budget files (YAML and JSON), rule matching, their errors, and the backend /
// precision specs of --against / --candidate.
#include "tilescope/verify/backend_spec.h"
#include "tilescope/verify/budget.h"

#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tilescope::verify {
namespace {

using testing::HasSubstr;
using testing::ThrowsMessage;

BudgetSet parse(const std::string& text) { return parse_budget_text(text, "b.yaml", Precision::kFp32); }

TEST(VerifyBudget, DefaultsPerPrecision) {
  const BudgetSet fp32 = default_budgets(Precision::kFp32);
  EXPECT_EQ(fp32.source, "defaults for fp32");
  EXPECT_DOUBLE_EQ(fp32.default_budget.rel_rmse, 1e-4);
  EXPECT_DOUBLE_EQ(fp32.default_budget.min_cosine, 0.999999);
  EXPECT_FALSE(fp32.default_budget.max_abs.has_value());
  EXPECT_DOUBLE_EQ(fp32.detections.min_map50, 0.99);
  // Lower precisions get looser budgets, never tighter.
  for (Precision p : {Precision::kBf16, Precision::kInt8}) {
    const Budget& b = default_budgets(p).default_budget;
    EXPECT_GT(b.rel_rmse, fp32.default_budget.rel_rmse) << precision_name(p);
    EXPECT_LT(b.min_cosine, fp32.default_budget.min_cosine) << precision_name(p);
  }
}

TEST(VerifyBudget, YamlDefaultRulesAndDetections) {
  const BudgetSet set = parse(R"(
default:
  rel_rmse: 2.0e-4
  max_abs: 0.5
rules:
  - node: "/model.22/*"
    rel_rmse: 1e-3
  - op: Softmax
    cosine: 0.999
  - node: "*cv2*"
    op: FusedConv
    beyond_share: 0.01
detections:
  map50: 0.97
)");
  EXPECT_EQ(set.source, "b.yaml");
  EXPECT_DOUBLE_EQ(set.default_budget.rel_rmse, 2e-4);
  EXPECT_DOUBLE_EQ(*set.default_budget.max_abs, 0.5);
  EXPECT_DOUBLE_EQ(set.default_budget.min_cosine, 0.999999); // untouched keys keep the fp32 defaults
  ASSERT_EQ(set.rules.size(), 3u);
  // Rules start from the file's default, not the precision's.
  EXPECT_DOUBLE_EQ(*set.rules[0].budget.max_abs, 0.5);
  EXPECT_DOUBLE_EQ(set.rules[0].budget.rel_rmse, 1e-3);
  EXPECT_DOUBLE_EQ(set.detections.min_map50, 0.97);
  EXPECT_DOUBLE_EQ(set.detections.max_score_delta, 1e-3);

  NodeNames head{"/model.22/cv3/conv/Conv", {}, "/model.22/cv3/act/Mul_output_0", "FusedConv", "Mul"};
  EXPECT_EQ(set.rule_for(head)->label, "rules[0]");
  NodeNames softmax{"/model.22/dfl/Softmax", {}, "x", "Softmax", "Softmax"};
  EXPECT_EQ(set.rule_for(softmax)->label, "rules[0]"); // first match wins
  softmax.node = "/other/Softmax";
  EXPECT_EQ(set.rule_for(softmax)->label, "rules[1]");
  // node glob matches a node fused into the candidate's node too; op must match as well.
  NodeNames fused{"/model.2/m.0/conv/Conv", {"/model.2/cv2/act/Sigmoid"}, "y", "FusedConv", "Mul"};
  EXPECT_EQ(set.rule_for(fused)->label, "rules[2]");
  fused.op = "Conv";
  fused.original_op = "Conv";
  EXPECT_EQ(set.rule_for(fused), nullptr);
  EXPECT_DOUBLE_EQ(set.budget_for(fused).rel_rmse, 2e-4);
}

TEST(VerifyBudget, JsonAndPrecisionKey) {
  const BudgetSet set = parse_budget_text(
      R"({"precision": "bf16", "rules": [{"op": "Conv", "max_rel": 0.1}]})", "b.json", Precision::kFp32);
  EXPECT_EQ(set.precision, Precision::kBf16);
  EXPECT_DOUBLE_EQ(set.default_budget.rel_rmse, default_budgets(Precision::kBf16).default_budget.rel_rmse);
  EXPECT_DOUBLE_EQ(*set.rules.at(0).budget.max_rel, 0.1);
  // An empty file is the defaults.
  EXPECT_DOUBLE_EQ(parse("").default_budget.rel_rmse, 1e-4);
}

// Bad files: each error names the file, the key's path and the problem.
struct BadBudget {
  std::string text;
  std::string message;
};

class VerifyBadBudget : public testing::TestWithParam<BadBudget> {};

TEST_P(VerifyBadBudget, ErrorNamesTheKey) {
  EXPECT_THAT([&] { parse(GetParam().text); }, ThrowsMessage<Error>(HasSubstr(GetParam().message)))
      << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, VerifyBadBudget,
    testing::Values(
        BadBudget{"defaults:\n  rel_rmse: 1", "b.yaml: defaults: unknown key (known: precision, default"},
        BadBudget{"default:\n  rel_rsme: 1", "b.yaml: default.rel_rsme: unknown key"},
        BadBudget{"default:\n  rel_rmse: high", "b.yaml: default.rel_rmse: expected a number, got \"high\""},
        BadBudget{"default:\n  rel_rmse: '1e-4'", "default.rel_rmse: expected a number"},
        BadBudget{"default:\n  cosine: 2", "b.yaml: default.cosine: must be in [-1, 1], got 2"},
        BadBudget{"default:\n  beyond_share: -0.1", "default.beyond_share: must be in [0, 1]"},
        BadBudget{"rules:\n  - rel_rmse: 1", "b.yaml: rules[0]: a rule needs 'node' (a glob) or 'op'"},
        BadBudget{"rules:\n  node: x", "b.yaml: rules: expected a list of rules"},
        BadBudget{"rules:\n  - node: x\n  - op: Conv\n    cosin: 1", "b.yaml: rules[1].cosin: unknown key"},
        BadBudget{"precision: fp16", "b.yaml: precision: expected fp32, bf16 or int8, got 'fp16'"},
        BadBudget{"detections:\n  map50: 1.5", "b.yaml: detections.map50: must be in [0, 1]"},
        BadBudget{"- 1\n- 2", "b.yaml: (top level): expected a mapping"},
        BadBudget{"default: [1, 2", "b.yaml: invalid YAML"},
        BadBudget{"{\"default\": }", "b.yaml: invalid JSON"}),
    [](const testing::TestParamInfo<BadBudget>& info) { return "case" + std::to_string(info.index); });

TEST(VerifyBudget, MissingFile) {
  EXPECT_THAT([] { load_budget_file("/nonexistent/budget.yaml", Precision::kFp32); },
              ThrowsMessage<Error>("/nonexistent/budget.yaml: cannot open the budget file"));
}

TEST(VerifyBudget, LoadsAFile) {
  const auto path = std::filesystem::temp_directory_path() / "tilescope_verify_budget_test.yaml";
  std::ofstream(path) << "default:\n  rel_rmse: 3e-4\n";
  EXPECT_DOUBLE_EQ(load_budget_file(path.string(), Precision::kFp32).default_budget.rel_rmse, 3e-4);
  std::filesystem::remove(path);
}

TEST(VerifyBackendSpec, ParsesBackendsAndPrecisions) {
  EXPECT_EQ(parse_backend_spec("reference").str(), "reference");
  EXPECT_EQ(parse_backend_spec("onednn").str(), "onednn:fp32");
  EXPECT_EQ(parse_backend_spec("onednn:fp32").str(), "onednn:fp32");
  EXPECT_EQ(parse_backend_spec("onednn:bf16").precision, Precision::kBf16);
  EXPECT_EQ(parse_backend_spec("onednn:int8").precision, Precision::kInt8);
  EXPECT_THAT([] { parse_backend_spec("cuda:fp32"); },
              ThrowsMessage<Error>(HasSubstr("unknown backend 'cuda'")));
  EXPECT_THAT([] { parse_backend_spec("onednn:fp16"); },
              ThrowsMessage<Error>(HasSubstr("unknown precision 'fp16'")));
  EXPECT_THAT([] { parse_backend_spec("reference:int8"); },
              ThrowsMessage<Error>(HasSubstr("the reference backend runs fp32 only")));
}

TEST(VerifyBackendSpec, SessionOptions) {
  const engine::SessionOptions ref = session_options_for(parse_backend_spec("reference"), 2);
  EXPECT_EQ(ref.backend, engine::Backend::kReference);
  EXPECT_FALSE(ref.fuse); // every model node's output exists on the reference side
  EXPECT_TRUE(ref.capture_values);
  const engine::SessionOptions cand = session_options_for(parse_backend_spec("onednn:fp32"), 2);
  EXPECT_TRUE(cand.fuse); // as production runs
  EXPECT_EQ(cand.threads, 2);
  EXPECT_EQ(cand.precision, engine::Precision::kFp32);
  const engine::SessionOptions bf16 = session_options_for(parse_backend_spec("onednn:bf16"), 0);
  EXPECT_EQ(bf16.precision, engine::Precision::kBf16);
  EXPECT_TRUE(bf16.fuse);
  EXPECT_EQ(session_options_for(parse_backend_spec("onednn:int8"), 0).precision, engine::Precision::kInt8);
}

} // namespace
} // namespace tilescope::verify
