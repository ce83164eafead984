// The ONNX backend node tests (Debian libonnx-testdata: /usr/share/libonnx-
// testdata/data/node/<case>/{model.onnx, test_data_set_N/{input,output}_K.pb})
// run on one backend, with ONNX's own pass rule, and summed up per operator
// (`tilescope verify --onnx-node-tests DIR`).
//
// A case is named for the operators of its model ("Conv", "HardSigmoid+Mul");
// a function expansion `<name>_expanded` for those of `<name>`, since it still
// tests that operator. Outcomes:
//   passed      - every output of every data set within tolerance;
//   failed      - an output beyond tolerance, or an error while running;
//   unsupported - an operator the engine does not have, or a model it refuses at
//                 load (import or compile error: opset, dtype, attribute), or a
//                 `skip` line of the expected-failures file.
// The engine compiles for static shapes, so graph inputs that are shape-like
// operands (Reshape's shape, Resize's scales, Slice's starts ...) are frozen to
// the data set's values as initializers (shape_like_inputs()), as the engine's
// own node test does through its expected-failures file.
#pragma once

#include "tilescope/engine/session.h"
#include "tilescope/engine/tensor.h"

#include <filesystem>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace tilescope::verify {

// ONNX's runner (onnx/backend/test/loader, onnx 1.12): numpy's assert_allclose
// with rtol 1e-3, atol 1e-7 for every node test; integers and bools exactly.
inline constexpr double kNodeTestRtol = 1e-3;
inline constexpr double kNodeTestAtol = 1e-7;

// Empty when `got` matches `want` (same dtype and shape; |got - want| <= atol +
// rtol |want|, NaN equal to NaN, infinities only to themselves); else what
// differs, with the first few elements.
std::string compare_allclose(const engine::Tensor& got, const engine::Tensor& want,
                             double rtol = kNodeTestRtol, double atol = kNodeTestAtol);

// One line of an expected-failures file (tests/engine/onnx_node_expected_failures.txt):
//   <regex> TAB <reason>                      skip the matching cases
//   <regex> TAB freeze=<in>,<in> TAB <reason> run them with those inputs as initializers
// The regex is searched in "<folder>_<backend>"; the first matching line applies.
struct ExpectedFailure {
  std::string pattern;
  std::regex regex;
  std::set<std::string> freeze; // empty: skip
  std::string reason;
};
// Malformed lines go to `errors` ("file:line: ...") when given, else throw Error.
std::vector<ExpectedFailure> read_expected_failures(const std::filesystem::path& path,
                                                    std::vector<std::string>* errors = nullptr);
const ExpectedFailure* find_expected_failure(const std::vector<ExpectedFailure>& list,
                                             const std::string& case_name);

struct NodeTestCase {
  std::string folder; // "test_conv_with_strides_padding"
  std::filesystem::path dir;
  std::string ops;                          // "Conv", "HardSigmoid+Mul"
  std::vector<std::string> unsupported_ops; // operators of `ops` the engine lacks
};

// Every folder of `dir` holding a model.onnx, by name. Throws Error when `dir`
// is not a folder.
std::vector<NodeTestCase> list_node_tests(const std::filesystem::path& dir);

// Inputs of `model` that feed a shape-like operand (by op type and input
// position), for freezing.
std::set<std::string> shape_like_inputs(const engine::Graph& model);

// Tensor files <prefix>_0.pb, <prefix>_1.pb, ... of one data set, in order.
std::vector<engine::Tensor> read_data_set(const std::filesystem::path& dir, const std::string& prefix);

enum class NodeTestStatus { kPassed, kFailed, kUnsupported };
std::string_view status_name(NodeTestStatus status); // "passed" | "failed" | "unsupported"

struct NodeTestOutcome {
  NodeTestStatus status = NodeTestStatus::kPassed;
  std::string detail; // why it failed or is unsupported
  int data_sets = 0;
};

// Runs one case on `backend` (one thread: node tests are tiny). `expected` may
// be null.
NodeTestOutcome run_node_test(const NodeTestCase& test_case, engine::Backend backend,
                              const std::vector<ExpectedFailure>* expected = nullptr);

struct OperatorSummary {
  std::string op;
  int cases = 0, passed = 0, failed = 0, unsupported = 0;
  std::vector<std::string> failed_cases; // "<folder>: <detail>"
};

struct NodeSuiteResult {
  std::string backend;
  std::vector<OperatorSummary> operators; // by op name
  int cases = 0, passed = 0, failed = 0, unsupported = 0;
};

struct NodeSuiteOptions {
  engine::Backend backend = engine::Backend::kOnednn;
  std::set<std::string> ops; // empty: every case; else cases whose ops include one of these
  std::optional<std::filesystem::path> expected_failures;
};

// Runs every selected case of `dir`.
NodeSuiteResult run_node_suite(const std::filesystem::path& dir, const NodeSuiteOptions& options);

// The per-operator table ("op  cases  passed  failed  unsupported") with a total
// line, then the failed cases.
std::string format_node_suite(const NodeSuiteResult& result);
std::string node_suite_json(const NodeSuiteResult& result);

} // namespace tilescope::verify
