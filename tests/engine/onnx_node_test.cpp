// The ONNX backend node tests (Debian libonnx-testdata), run data-driven on
// both backends: OnnxNode/OnnxNodeTest.Run/<folder>_<backend>.
//
// A folder is selected when every operator of its model is supported by the
// engine (unsupported_operators() of the op list is empty) and, for a
// function-expanded test `<name>_expanded`, also the operator of `<name>`
// itself: an expansion of LayerNormalization into supported ops still tests
// LayerNormalization, which we do not claim. Known failures and skips live in
// onnx_node_expected_failures.txt (`<regex> TAB <reason>`, searched in the case
// name); those cases are skipped with the reason. Lines with a middle
// `freeze=<inputs>` field instead run the case with those graph inputs made
// initializers (shape-like inputs the engine needs at load time).
//
// Run one case:  engine_tests --gtest_filter='OnnxNode/*test_relu_onednn'
// List cases:    engine_tests --gtest_filter='OnnxNodeSuite.*'
#include "onnx/onnx.pb.h"
#include "tilescope/engine/onnx_import.h"
#include "tilescope/engine/session.h"
#include "tilescope/verify/onnx_node_suite.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace tilescope::engine {
namespace {

namespace fs = std::filesystem;
using verify::ExpectedFailure;

// The node-test folders; TILESCOPE_ONNX_NODE_DIR points the runner at another
// copy (e.g. a newer onnx release's backend/test/data/node).
const char* node_dir_override() {
  const char* env = std::getenv("TILESCOPE_ONNX_NODE_DIR");
  return env != nullptr && *env != 0 ? env : nullptr;
}
const fs::path& node_test_dir() {
  static const fs::path dir =
      node_dir_override() ? node_dir_override() : "/usr/share/libonnx-testdata/data/node";
  return dir;
}
const fs::path kExpectedFailures =
    fs::path(TILESCOPE_SOURCE_DIR) / "tests/engine/onnx_node_expected_failures.txt";

struct NodeCase {
  std::string folder; // "test_conv_with_strides_padding"
  Backend backend;
  std::string ops; // operator(s) the folder is named for, "Conv" or "HardSigmoid+Mul"

  std::string name() const { return folder + "_" + std::string(backend_name(backend)); }
};

void PrintTo(const NodeCase& c, std::ostream* os) { *os << c.name(); }

// The op types and input names of a model file, read straight from the
// protobuf so that models the importer refuses (a float16 input, an old opset)
// are still selected and reported, not silently dropped. Empty when the file
// does not parse.
Graph ops_only_graph(const fs::path& model_path) {
  onnx::ModelProto model;
  std::ifstream in(model_path, std::ios::binary);
  Graph graph;
  if (!model.ParseFromIstream(&in)) return graph;
  for (const auto& v : model.graph().input())
    graph.inputs.push_back(ValueInfo{v.name()});
  for (const auto& n : model.graph().node()) {
    Node node;
    node.name = n.name();
    node.op_type = n.op_type();
    node.domain = n.domain() == "ai.onnx" ? std::string() : n.domain();
    graph.nodes.push_back(std::move(node));
  }
  return graph;
}

std::string op_list(const Graph& graph) {
  std::vector<std::string> ops;
  for (const auto& n : graph.nodes)
    ops.push_back(n.op_type);
  std::sort(ops.begin(), ops.end());
  ops.erase(std::unique(ops.begin(), ops.end()), ops.end());
  std::string joined;
  for (const auto& op : ops)
    joined += (joined.empty() ? "" : "+") + op;
  return joined;
}

bool supported(const Graph& graph) { return !graph.nodes.empty() && unsupported_operators(graph).empty(); }

std::vector<NodeCase> select_cases() {
  std::vector<NodeCase> cases;
  if (!fs::is_directory(node_test_dir())) return cases;
  std::vector<std::string> folders;
  for (const auto& entry : fs::directory_iterator(node_test_dir())) {
    if (fs::exists(entry.path() / "model.onnx")) folders.push_back(entry.path().filename().string());
  }
  std::sort(folders.begin(), folders.end());
  const std::string kExpanded = "_expanded";
  for (const auto& folder : folders) {
    Graph graph = ops_only_graph(node_test_dir() / folder / "model.onnx");
    if (!supported(graph)) continue;
    std::string ops = op_list(graph);
    if (folder.size() > kExpanded.size() && folder.ends_with(kExpanded)) {
      const fs::path base =
          node_test_dir() / folder.substr(0, folder.size() - kExpanded.size()) / "model.onnx";
      if (fs::exists(base)) {
        const Graph named_for = ops_only_graph(base);
        if (!supported(named_for)) continue;
        ops = op_list(named_for);
      }
    }
    for (Backend backend : {Backend::kReference, Backend::kOnednn})
      cases.push_back({folder, backend, ops});
  }
  return cases;
}

const std::vector<NodeCase>& all_cases() {
  static const std::vector<NodeCase> cases = select_cases();
  return cases;
}

// The file's format and parser are the verify module's (tilescope verify --onnx-node-tests).
std::vector<ExpectedFailure> read_expected_failures(std::vector<std::string>* errors) {
  std::vector<std::string> ignored; // expected_failures() runs with the malformed lines dropped
  return verify::read_expected_failures(kExpectedFailures, errors != nullptr ? errors : &ignored);
}

const std::vector<ExpectedFailure>& expected_failures() {
  static const std::vector<ExpectedFailure> list = read_expected_failures(nullptr);
  return list;
}

const ExpectedFailure* expected_failure_for(const std::string& case_name) {
  for (const auto& e : expected_failures()) {
    if (std::regex_search(case_name, e.regex)) return &e;
  }
  return nullptr;
}

// Tolerances of ONNX's own runner (onnx 1.12's loader: rtol 1e-3, atol 1e-7 for every node
// test, numpy.testing.assert_allclose semantics; integers and bools exactly):
// verify::compare_allclose with its defaults.
std::vector<Tensor> read_tensors(const fs::path& dir, const std::string& prefix) {
  return verify::read_data_set(dir, prefix);
}

class OnnxNodeTest : public ::testing::TestWithParam<NodeCase> {};

TEST_P(OnnxNodeTest, Run) {
  const NodeCase& c = GetParam();
  const ExpectedFailure* known = expected_failure_for(c.name());
  if (known != nullptr && known->freeze.empty()) GTEST_SKIP() << known->reason;
  const fs::path dir = node_test_dir() / c.folder;
  SessionOptions options;
  options.backend = c.backend;
  options.threads = 1; // the machine is shared; node tests are tiny
  int data_sets = 0;
  for (; fs::is_directory(dir / ("test_data_set_" + std::to_string(data_sets))); ++data_sets) {
    const fs::path data = dir / ("test_data_set_" + std::to_string(data_sets));
    SCOPED_TRACE(data.string());
    try {
      const std::vector<Tensor> inputs = read_tensors(data, "input");
      const std::vector<Tensor> expected = read_tensors(data, "output");
      Graph graph = load_onnx((dir / "model.onnx").string());
      // ONNX's runner feeds input_i.pb to the i-th graph input (initializers excluded).
      ASSERT_EQ(inputs.size(), graph.inputs.size()) << "input files vs graph inputs";
      std::vector<ValueInfo> runtime_inputs;
      std::map<std::string, const Tensor*> feeds;
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (known != nullptr && known->freeze.count(graph.inputs[i].name) != 0) {
          graph.initializers.emplace(graph.inputs[i].name, inputs[i].clone());
        } else {
          feeds[graph.inputs[i].name] = &inputs[i];
          runtime_inputs.push_back(graph.inputs[i]);
        }
      }
      if (runtime_inputs.size() != graph.inputs.size()) {
        std::printf("note: inputs frozen to initializers (%s)\n", known->reason.c_str());
      }
      graph.inputs = std::move(runtime_inputs);
      Session session = Session::from_graph(std::move(graph), options);
      const std::vector<Tensor> outputs = session.run(feeds);
      ASSERT_EQ(outputs.size(), expected.size()) << "outputs vs output files";
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        const std::string diff = verify::compare_allclose(outputs[i], expected[i]);
        EXPECT_TRUE(diff.empty()) << "output " << i << " ('" << session.outputs()[i].name << "'): " << diff;
      }
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
  }
  EXPECT_GT(data_sets, 0) << "no test_data_set_* folder";
}

INSTANTIATE_TEST_SUITE_P(OnnxNode, OnnxNodeTest, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<NodeCase>& info) { return info.param.name(); });

// The selection itself: prints every selected case with its operator and
// expected-failure reason, and guards against the data or the registry
// disappearing (270 folders use only supported ops in onnx 1.12's test data;
// 259 remain after dropping the expansions of CastLike and MeanVarianceNormalization).
TEST(OnnxNodeSuite, SelectedCases) {
  ASSERT_TRUE(fs::is_directory(node_test_dir()))
      << node_test_dir() << " missing: apt-get install libonnx-testdata";
  const auto& cases = all_cases();
  std::size_t skipped = 0;
  for (const auto& c : cases) {
    const ExpectedFailure* e = expected_failure_for(c.name());
    skipped += e != nullptr && e->freeze.empty();
    const std::string note =
        e == nullptr ? "" : (e->freeze.empty() ? "skip: " : "frozen inputs: ") + e->reason;
    std::printf("  %-70s %-24s %s\n", c.name().c_str(), c.ops.c_str(), note.c_str());
  }
  std::printf("%zu cases selected (%zu folders x 2 backends), %zu expected to be skipped\n", cases.size(),
              cases.size() / 2, skipped);
  if (node_dir_override() == nullptr) EXPECT_GE(cases.size() / 2, 200u);
}

TEST(OnnxNodeSuite, ExpectedFailuresFileIsWellFormedAndUsed) {
  std::vector<std::string> errors;
  const auto list = read_expected_failures(&errors);
  for (const auto& e : errors)
    ADD_FAILURE() << e;
  for (const auto& e : list) {
    std::set<std::string> unused_freezes = e.freeze;
    bool used = false;
    for (const NodeCase& c : all_cases()) {
      if (!std::regex_search(c.name(), e.regex)) continue;
      used = true;
      for (const auto& in : ops_only_graph(node_test_dir() / c.folder / "model.onnx").inputs)
        unused_freezes.erase(in.name);
    }
    if (node_dir_override() != nullptr) continue; // a partial copy need not use every line
    EXPECT_TRUE(used) << "'" << e.pattern << "' matches no selected case: remove it";
    for (const auto& name : unused_freezes) {
      ADD_FAILURE() << "'" << e.pattern << "': freeze=" << name << " is an input of no matching case";
    }
  }
}

} // namespace
} // namespace tilescope::engine
