// The node-test loader grew in tests/engine/onnx_node_test.cpp (the engine's own
// conformance test); this is the same selection, data-set reading, comparison and
// expected-failures format as a library, for `tilescope verify --onnx-node-tests`.
#include "tilescope/verify/onnx_node_suite.h"

#include "onnx/onnx.pb.h"
#include "tilescope/core/error.h"
#include "tilescope/engine/onnx_import.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tilescope::verify {
namespace {

namespace fs = std::filesystem;
using engine::Tensor;

std::vector<std::byte> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  std::vector<std::byte> bytes(text.size());
  std::memcpy(bytes.data(), text.data(), text.size());
  return bytes;
}

// The op types and input names of a model file, read straight from the
// protobuf so that models the importer refuses (a float16 input, an old opset)
// are still listed. Empty when the file does not parse.
engine::Graph ops_only_graph(const fs::path& model_path) {
  onnx::ModelProto model;
  std::ifstream in(model_path, std::ios::binary);
  engine::Graph graph;
  if (!model.ParseFromIstream(&in)) return graph;
  for (const auto& v : model.graph().input())
    graph.inputs.push_back(engine::ValueInfo{v.name(), engine::DType::kUndefined, {}, false});
  for (const auto& n : model.graph().node()) {
    engine::Node node;
    node.name = n.name();
    node.op_type = n.op_type();
    node.domain = n.domain() == "ai.onnx" ? std::string() : n.domain();
    graph.nodes.push_back(std::move(node));
  }
  return graph;
}

std::vector<std::string> op_types(const engine::Graph& graph) {
  std::vector<std::string> ops;
  for (const auto& n : graph.nodes)
    ops.push_back(n.domain.empty() ? n.op_type : n.domain + "." + n.op_type);
  std::sort(ops.begin(), ops.end());
  ops.erase(std::unique(ops.begin(), ops.end()), ops.end());
  return ops;
}

std::string joined(const std::vector<std::string>& items, const std::string& sep) {
  std::string s;
  for (const auto& item : items)
    s += (s.empty() ? "" : sep) + item;
  return s;
}

// Operators of `graph` without a kernel: unsupported_operators() lines start
// with the op name ("Mod (2 nodes: ...)").
std::vector<std::string> missing_ops(const engine::Graph& graph) {
  std::vector<std::string> out;
  for (const std::string& line : engine::unsupported_operators(graph))
    out.push_back(line.substr(0, line.find(' ')));
  return out;
}

// Shape-like operand positions per op type (the inputs the engine must know
// at load time because it compiles for static shapes).
const std::map<std::string, std::vector<std::size_t>>& shape_like_positions() {
  static const std::map<std::string, std::vector<std::size_t>> positions = {
      {"ConstantOfShape", {0}}, {"Expand", {1}},       {"Pad", {1, 2, 3}},      {"Range", {0, 1, 2}},
      {"Reshape", {1}},         {"Resize", {1, 2, 3}}, {"Slice", {1, 2, 3, 4}}, {"Split", {1}},
      {"Squeeze", {1}},         {"Tile", {1}},         {"Unsqueeze", {1}},      {"Upsample", {1}},
  };
  return positions;
}

} // namespace

std::string compare_allclose(const Tensor& got, const Tensor& want, double rtol, double atol) {
  if (got.dtype() != want.dtype()) {
    return "dtype " + std::string(engine::dtype_name(got.dtype())) + ", expected " +
           std::string(engine::dtype_name(want.dtype()));
  }
  if (got.shape() != want.shape())
    return "shape " + engine::shape_str(got.shape()) + ", expected " + engine::shape_str(want.shape());
  const bool is_float = want.dtype() == engine::DType::kFloat32 || want.dtype() == engine::DType::kFloat64;
  std::ostringstream report;
  report.precision(9);
  std::int64_t bad = 0;
  double worst_abs = 0;
  for (std::int64_t i = 0; i < want.size(); ++i) {
    const double g = got.get_as_double(i);
    const double w = want.get_as_double(i);
    bool ok;
    if (!is_float) {
      ok = got.get_as_int(i) == want.get_as_int(i);
    } else if (std::isnan(w) || std::isnan(g)) {
      ok = std::isnan(w) && std::isnan(g);
    } else if (std::isinf(w) || std::isinf(g)) {
      ok = g == w;
    } else {
      ok = std::abs(g - w) <= atol + rtol * std::abs(w);
      worst_abs = std::max(worst_abs, std::abs(g - w));
    }
    if (!ok && bad++ < 4) report << "; [" << i << "] got " << g << ", expected " << w;
  }
  if (bad == 0) return {};
  std::ostringstream head;
  head.precision(9);
  head << bad << " of " << want.size() << " elements differ";
  if (is_float) head << " (rtol " << rtol << ", atol " << atol << "; max abs error " << worst_abs << ")";
  return head.str() + report.str();
}

std::vector<ExpectedFailure> read_expected_failures(const fs::path& path, std::vector<std::string>* errors) {
  std::vector<ExpectedFailure> out;
  auto problem = [&](const std::string& message) {
    if (errors == nullptr) throw Error(message);
    errors->push_back(message);
  };
  std::ifstream in(path);
  if (!in) {
    problem(path.string() + ": cannot open");
    return out;
  }
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    for (std::size_t start = 0;;) {
      const auto tab = line.find('\t', start);
      fields.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    const std::string where = path.filename().string() + ":" + std::to_string(line_no);
    const std::string kFreeze = "freeze=";
    const bool skip_line = fields.size() == 2;
    const bool freeze_line =
        fields.size() == 3 && fields[1].starts_with(kFreeze) && fields[1].size() > kFreeze.size();
    if ((!skip_line && !freeze_line) || fields[0].empty() || fields.back().empty()) {
      problem(where + ": expected '<regex> TAB <reason>' or '<regex> TAB freeze=a,b TAB <reason>'");
      continue;
    }
    ExpectedFailure e;
    e.pattern = fields[0];
    e.reason = fields.back();
    if (freeze_line) {
      std::istringstream names(fields[1].substr(kFreeze.size()));
      for (std::string name; std::getline(names, name, ',');)
        e.freeze.insert(name);
    }
    try {
      e.regex = std::regex(e.pattern);
    } catch (const std::regex_error& err) {
      problem(where + ": bad regex: " + err.what());
      continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

const ExpectedFailure* find_expected_failure(const std::vector<ExpectedFailure>& list,
                                             const std::string& case_name) {
  for (const auto& e : list) {
    if (std::regex_search(case_name, e.regex)) return &e;
  }
  return nullptr;
}

std::vector<NodeTestCase> list_node_tests(const fs::path& dir) {
  if (!fs::is_directory(dir)) {
    throw Error(dir.string() + ": not a folder of ONNX node tests (Debian: apt-get install libonnx-testdata, "
                               "then /usr/share/libonnx-testdata/data/node)");
  }
  std::vector<std::string> folders;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (fs::exists(entry.path() / "model.onnx")) folders.push_back(entry.path().filename().string());
  }
  std::sort(folders.begin(), folders.end());
  const std::string kExpanded = "_expanded";
  std::vector<NodeTestCase> cases;
  for (const std::string& folder : folders) {
    NodeTestCase c;
    c.folder = folder;
    c.dir = dir / folder;
    const engine::Graph graph = ops_only_graph(c.dir / "model.onnx");
    engine::Graph named_for_graph;
    const engine::Graph* named_for = &graph;
    if (folder.size() > kExpanded.size() && folder.ends_with(kExpanded)) {
      const fs::path base = dir / folder.substr(0, folder.size() - kExpanded.size()) / "model.onnx";
      if (fs::exists(base)) {
        named_for_graph = ops_only_graph(base);
        named_for = &named_for_graph;
      }
    }
    c.ops = graph.nodes.empty() ? "(unreadable model)" : joined(op_types(*named_for), "+");
    // The case's own ops must run; an expansion also claims the op it expands.
    c.unsupported_ops = missing_ops(graph);
    if (named_for != &graph) {
      for (const std::string& op : missing_ops(*named_for)) {
        if (std::find(c.unsupported_ops.begin(), c.unsupported_ops.end(), op) == c.unsupported_ops.end())
          c.unsupported_ops.push_back(op);
      }
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

std::set<std::string> shape_like_inputs(const engine::Graph& model) {
  std::set<std::string> graph_inputs;
  for (const engine::ValueInfo& in : model.inputs)
    graph_inputs.insert(in.name);
  std::set<std::string> out;
  for (const engine::Node& node : model.nodes) {
    auto it = shape_like_positions().find(node.op_type);
    if (!node.domain.empty() || it == shape_like_positions().end()) continue;
    for (std::size_t pos : it->second) {
      if (node.has_input(pos) && graph_inputs.count(node.inputs[pos])) out.insert(node.inputs[pos]);
    }
  }
  return out;
}

std::vector<Tensor> read_data_set(const fs::path& dir, const std::string& prefix) {
  std::vector<Tensor> tensors;
  for (int i = 0;; ++i) {
    const fs::path path = dir / (prefix + "_" + std::to_string(i) + ".pb");
    if (!fs::exists(path)) break;
    tensors.push_back(engine::parse_onnx_tensor(read_bytes(path), path.string()));
  }
  return tensors;
}

std::string_view status_name(NodeTestStatus status) {
  switch (status) {
  case NodeTestStatus::kPassed: return "passed";
  case NodeTestStatus::kFailed: return "failed";
  case NodeTestStatus::kUnsupported: return "unsupported";
  }
  return "failed";
}

NodeTestOutcome run_node_test(const NodeTestCase& c, engine::Backend backend,
                              const std::vector<ExpectedFailure>* expected) {
  NodeTestOutcome outcome;
  if (!c.unsupported_ops.empty()) {
    outcome.status = NodeTestStatus::kUnsupported;
    outcome.detail = "operator" + std::string(c.unsupported_ops.size() > 1 ? "s " : " ") +
                     joined(c.unsupported_ops, ", ") + " not supported";
    return outcome;
  }
  const std::string case_name = c.folder + "_" + std::string(engine::backend_name(backend));
  const ExpectedFailure* known = expected ? find_expected_failure(*expected, case_name) : nullptr;
  if (known != nullptr && known->freeze.empty()) {
    outcome.status = NodeTestStatus::kUnsupported;
    outcome.detail = known->reason;
    return outcome;
  }
  engine::SessionOptions options;
  options.backend = backend;
  options.threads = 1;
  for (;; ++outcome.data_sets) {
    const fs::path data = c.dir / ("test_data_set_" + std::to_string(outcome.data_sets));
    if (!fs::is_directory(data)) break;
    const std::string where = data.filename().string() + ": ";
    std::vector<Tensor> inputs, expected_outputs;
    engine::Graph graph;
    std::map<std::string, const Tensor*> feeds;
    std::optional<engine::Session> session;
    // Loading: anything refused here is a feature the engine lacks.
    try {
      inputs = read_data_set(data, "input");
      expected_outputs = read_data_set(data, "output");
      graph = engine::load_onnx((c.dir / "model.onnx").string());
      if (inputs.size() != graph.inputs.size()) {
        throw Error(std::to_string(inputs.size()) + " input files for " +
                    std::to_string(graph.inputs.size()) + " graph inputs");
      }
      std::set<std::string> freeze = shape_like_inputs(graph);
      if (known != nullptr) freeze.insert(known->freeze.begin(), known->freeze.end());
      std::vector<engine::ValueInfo> runtime_inputs;
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        // ONNX's runner feeds input_i.pb to the i-th graph input (initializers excluded).
        if (freeze.count(graph.inputs[i].name)) {
          graph.initializers.insert_or_assign(graph.inputs[i].name, inputs[i].clone());
        } else {
          feeds[graph.inputs[i].name] = &inputs[i];
          runtime_inputs.push_back(graph.inputs[i]);
        }
      }
      graph.inputs = std::move(runtime_inputs);
      session.emplace(engine::Session::from_graph(std::move(graph), options));
    } catch (const std::exception& e) {
      outcome.status = NodeTestStatus::kUnsupported;
      outcome.detail = where + e.what();
      return outcome;
    }
    try {
      const std::vector<Tensor> outputs = session->run(feeds);
      if (outputs.size() != expected_outputs.size()) {
        throw Error(std::to_string(outputs.size()) + " outputs for " +
                    std::to_string(expected_outputs.size()) + " output files");
      }
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        const std::string diff = compare_allclose(outputs[i], expected_outputs[i]);
        if (!diff.empty())
          throw Error("output " + std::to_string(i) + " ('" + session->outputs()[i].name + "'): " + diff);
      }
    } catch (const std::exception& e) {
      outcome.status = NodeTestStatus::kFailed;
      outcome.detail = where + e.what();
      return outcome;
    }
  }
  if (outcome.data_sets == 0) {
    outcome.status = NodeTestStatus::kFailed;
    outcome.detail = "no test_data_set_* folder";
  }
  return outcome;
}

NodeSuiteResult run_node_suite(const fs::path& dir, const NodeSuiteOptions& options) {
  std::vector<ExpectedFailure> expected;
  if (options.expected_failures) expected = read_expected_failures(*options.expected_failures);
  NodeSuiteResult result;
  result.backend = std::string(engine::backend_name(options.backend));
  std::map<std::string, OperatorSummary> by_op;
  for (const NodeTestCase& c : list_node_tests(dir)) {
    if (!options.ops.empty()) {
      bool selected = false;
      std::istringstream ops(c.ops);
      for (std::string op; std::getline(ops, op, '+');)
        selected = selected || options.ops.count(op) != 0;
      if (!selected) continue;
    }
    const NodeTestOutcome outcome = run_node_test(c, options.backend, &expected);
    OperatorSummary& s = by_op[c.ops];
    s.op = c.ops;
    ++s.cases;
    ++result.cases;
    switch (outcome.status) {
    case NodeTestStatus::kPassed: ++s.passed, ++result.passed; break;
    case NodeTestStatus::kFailed:
      ++s.failed, ++result.failed;
      s.failed_cases.push_back(c.folder + ": " + outcome.detail);
      break;
    case NodeTestStatus::kUnsupported: ++s.unsupported, ++result.unsupported; break;
    }
  }
  for (auto& [op, s] : by_op)
    result.operators.push_back(std::move(s));
  return result;
}

std::string format_node_suite(const NodeSuiteResult& r) {
  std::ostringstream o;
  std::size_t width = 8;
  for (const OperatorSummary& s : r.operators)
    width = std::max(width, std::min<std::size_t>(s.op.size(), 48));
  char line[256];
  auto row = [&](const std::string& op, const std::string& a, const std::string& b, const std::string& c,
                 const std::string& d) {
    std::snprintf(line, sizeof line, "%-*s %6s %7s %7s %12s\n", static_cast<int>(width), op.c_str(),
                  a.c_str(), b.c_str(), c.c_str(), d.c_str());
    o << line;
  };
  o << "ONNX node tests on the " << r.backend << " backend\n";
  row("op", "cases", "passed", "failed", "unsupported");
  for (const OperatorSummary& s : r.operators) {
    row(s.op, std::to_string(s.cases), std::to_string(s.passed), std::to_string(s.failed),
        std::to_string(s.unsupported));
  }
  row("total", std::to_string(r.cases), std::to_string(r.passed), std::to_string(r.failed),
      std::to_string(r.unsupported));
  for (const OperatorSummary& s : r.operators) {
    for (const std::string& f : s.failed_cases)
      o << "FAILED " << f << "\n";
  }
  return o.str();
}

std::string node_suite_json(const NodeSuiteResult& r) {
  nlohmann::json ops = nlohmann::json::array();
  for (const OperatorSummary& s : r.operators) {
    ops.push_back({{"op", s.op},
                   {"cases", s.cases},
                   {"passed", s.passed},
                   {"failed", s.failed},
                   {"unsupported", s.unsupported},
                   {"failed_cases", s.failed_cases}});
  }
  return nlohmann::json{{"backend", r.backend},         {"cases", r.cases},
                        {"passed", r.passed},           {"failed", r.failed},
                        {"unsupported", r.unsupported}, {"operators", ops}}
      .dump(2);
}

} // namespace tilescope::verify
