// `tilescope verify M.onnx [--against SPEC] [--candidate SPEC] ...`: per-node
// numeric verification of one backend against another (src/verify), and
// `tilescope verify --onnx-node-tests DIR [--backend B]`: the ONNX node tests per
// operator. Exit code 2 when a budget is exceeded or a node test fails, so CI
// can gate on it; 1 for errors (bad model, bad budget file).
#include "commands.h"
#include "progress.h"
#include "tilescope/core/error.h"
#include "tilescope/verify/onnx_node_suite.h"
#include "tilescope/verify/verifier.h"
#include "tilescope/verify/verify_report.h"

#include <iostream>
#include <optional>
#include <sstream>

namespace tilescope::cli {
namespace {

constexpr int kBeyondBudget = 2;

struct VerifyArgs {
  std::string model;
  std::string against = "reference";
  std::string candidate = "onednn:fp32";
  std::string inputs = "random";
  int n = 8;
  std::uint64_t seed = 0;
  int imgsz = 640;
  int threads = 0;
  std::string head = "auto";
  std::string report_dir;
  std::string budget;
  bool json = false;
  int worst = 10;
  // --onnx-node-tests
  std::string node_tests_dir;
  std::string backend = "onednn";
  std::string ops;
  std::string expected_failures;
};

VerifyArgs& args() {
  static VerifyArgs a;
  return a;
}

int run_node_tests(const VerifyArgs& a) {
  verify::NodeSuiteOptions options;
  options.backend = *engine::parse_backend(a.backend);
  std::istringstream ops(a.ops);
  for (std::string op; std::getline(ops, op, ',');) {
    if (!op.empty()) options.ops.insert(op);
  }
  if (!a.expected_failures.empty()) options.expected_failures = a.expected_failures;
  const verify::NodeSuiteResult result = verify::run_node_suite(a.node_tests_dir, options);
  if (result.cases == 0) {
    throw Error(a.node_tests_dir + ": no node test" +
                (a.ops.empty() ? "" : " uses an operator of --ops " + a.ops));
  }
  std::cout << (a.json ? verify::node_suite_json(result) + "\n" : verify::format_node_suite(result));
  return result.failed > 0 ? kBeyondBudget : 0;
}

int run_model(const VerifyArgs& a) {
  verify::VerifyOptions options;
  options.model_path = a.model;
  options.against = verify::parse_backend_spec(a.against);
  options.candidate = verify::parse_backend_spec(a.candidate);
  options.inputs = a.inputs;
  options.n = a.n;
  options.seed = a.seed;
  options.imgsz = a.imgsz;
  options.threads = a.threads;
  options.head = a.head;
  options.budget_path = a.budget;
  std::optional<Progress> progress;
  options.on_input = [&](int i, int n) {
    if (!progress) progress.emplace("verify " + a.model, n, "input");
    if (i > 0) progress->advance();
  };
  const verify::VerifyResult result = verify::run_verification(options);
  if (progress) {
    progress->advance();
    progress->finish();
  }
  std::cout << (a.json ? verify::result_json(result) + "\n" : verify::format_text(result, a.worst));
  std::cout.flush();
  if (!a.report_dir.empty()) {
    const auto html = verify::write_report(a.report_dir, result);
    std::cerr << "report: " << html.string() << "\n";
  }
  return result.passed() ? 0 : kBeyondBudget;
}

} // namespace

void add_verify_command(CLI::App& app) {
  VerifyArgs& a = args();
  auto* cmd = app.add_subcommand(
      "verify", "Compare a model's every node across backends / precisions against error budgets "
                "(exit 2 when beyond), or run the ONNX node tests per operator");
  cmd->add_option("model", a.model, "ONNX file or TF.js model.json");
  cmd->add_option("--against", a.against, "Reference side: reference | onednn[:fp32]")->capture_default_str();
  cmd->add_option("--candidate", a.candidate,
                  "Candidate side: onednn:fp32 | onednn:bf16 | onednn:int8 | reference")
      ->capture_default_str();
  cmd->add_option("--inputs", a.inputs, "random, or a folder of images (letterboxed as the detector does)")
      ->capture_default_str();
  cmd->add_option("--n", a.n, "Number of inputs")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", a.seed, "Seed of the random inputs")->capture_default_str();
  cmd->add_option("--imgsz", a.imgsz, "Height and width for dynamic input dims")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", a.threads, "onednn threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--head", a.head, "Detection head: auto | none | yolov8 | yolov5 | nanodet")
      ->capture_default_str();
  cmd->add_option("--report", a.report_dir, "Write DIR/index.html, DIR/report.json, DIR/errors.png");
  cmd->add_option("--budget", a.budget, "Budget file (YAML or JSON) overriding the precision's defaults");
  cmd->add_flag("--json", a.json, "Print the result as JSON");
  cmd->add_option("--worst", a.worst, "Nodes in the text summary's worst list")->capture_default_str();
  cmd->add_option("--onnx-node-tests", a.node_tests_dir,
                  "Run the ONNX node tests in DIR (e.g. /usr/share/libonnx-testdata/data/node) instead");
  cmd->add_option("--backend", a.backend, "Backend for --onnx-node-tests: onednn | reference")
      ->capture_default_str()
      ->check(CLI::IsMember({"onednn", "reference"}));
  cmd->add_option("--ops", a.ops, "With --onnx-node-tests: only cases using these operators (Conv,Relu)");
  cmd->add_option(
      "--expected-failures", a.expected_failures,
      "With --onnx-node-tests: skip / freeze file (tests/engine/onnx_node_expected_failures.txt)");
  cmd->callback([] {
    const VerifyArgs& a = args();
    if (a.model.empty() == a.node_tests_dir.empty())
      throw Error("verify: give a model, or --onnx-node-tests DIR (not both)");
    const int rc = a.model.empty() ? run_node_tests(a) : run_model(a);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

} // namespace tilescope::cli
