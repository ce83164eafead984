// The engine's verification hooks that `tilescope verify` stands on:
// SessionOptions::capture_values on both backends, and the onednn failpoint
// TILESCOPE_FAULT_NODE (src/engine/backends/onednn/debug_hooks.h), on a small
// graph with both kinds of fusion:
//
//   x -> Conv1 -> Sigmoid, Mul (SiLU) -> y2 -> Conv2 -> Add(+ y2) -> y4 -> Relu -> out
//
// onednn fuses Conv1+Sigmoid+Mul and Conv2+Add, so it stores y2, y4 and out only.
#include "tilescope/engine/session.h"

#include <cmath>
#include <cstdlib>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <random>

namespace tilescope::verify {
namespace {

using engine::DType;
using engine::Graph;
using engine::Node;
using engine::Session;
using engine::SessionOptions;
using engine::Tensor;
using testing::HasSubstr;

// Sets an environment variable for the scope (the failpoint is read at compile).
class ScopedEnv {
public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name_); }

private:
  const char* name_;
};

Tensor random_tensor(engine::Shape shape, std::mt19937& rng, float scale) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::uniform_real_distribution<float> dist(-scale, scale);
  for (float& v : t.values<float>())
    v = dist(rng);
  return t;
}

Node node(const std::string& name, const std::string& op, std::vector<std::string> in,
          std::vector<std::string> out) {
  Node n;
  n.name = name;
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

Graph small_graph() {
  std::mt19937 rng(7);
  Graph g;
  g.opset = 17;
  g.inputs.push_back({"x", DType::kFloat32, {{1, ""}, {8, ""}, {12, ""}, {12, ""}}, true});
  g.outputs.push_back({"out", DType::kFloat32, {}, false});
  g.initializers.emplace("w1", random_tensor({8, 8, 3, 3}, rng, 0.3f));
  g.initializers.emplace("b1", random_tensor({8}, rng, 0.1f));
  g.initializers.emplace("w2", random_tensor({8, 8, 3, 3}, rng, 0.3f));
  g.initializers.emplace("b2", random_tensor({8}, rng, 0.1f));
  Node conv1 = node("conv1", "Conv", {"x", "w1", "b1"}, {"y1"});
  conv1.attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  Node conv2 = node("conv2", "Conv", {"y2", "w2", "b2"}, {"y3"});
  conv2.attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  g.nodes.push_back(std::move(conv1));
  g.nodes.push_back(node("sigmoid", "Sigmoid", {"y1"}, {"s"}));
  g.nodes.push_back(node("mul", "Mul", {"y1", "s"}, {"y2"}));
  g.nodes.push_back(std::move(conv2));
  g.nodes.push_back(node("add", "Add", {"y3", "y2"}, {"y4"}));
  g.nodes.push_back(node("relu", "Relu", {"y4"}, {"out"}));
  return g;
}

Tensor input() {
  std::mt19937 rng(11);
  return random_tensor({1, 8, 12, 12}, rng, 1.0f);
}

SessionOptions options(engine::Backend backend, bool capture, bool fuse = true) {
  SessionOptions o;
  o.backend = backend;
  o.threads = 1;
  o.capture_values = capture;
  o.fuse = fuse;
  return o;
}

std::vector<std::string> keys(const std::map<std::string, Tensor>& m) {
  std::vector<std::string> k;
  for (const auto& entry : m)
    k.push_back(entry.first);
  return k;
}

// Largest |a - b| over the largest |b|.
double relative_error(const Tensor& a, const Tensor& b) {
  double err = 0, mag = 1e-6;
  for (std::int64_t i = 0; i < b.size(); ++i) {
    err = std::max(err, std::abs(a.get_as_double(i) - b.get_as_double(i)));
    mag = std::max(mag, std::abs(b.get_as_double(i)));
  }
  return err / mag;
}

TEST(VerifyCapture, ReferenceUnfusedKeepsEveryNodeOutput) {
  Session s = Session::from_graph(small_graph(), options(engine::Backend::kReference, true, false));
  const Tensor x = input();
  const std::vector<Tensor> out = s.run(x);
  const auto captured = s.take_captured();
  EXPECT_THAT(keys(captured), testing::ElementsAre("out", "s", "y1", "y2", "y3", "y4"));
  EXPECT_EQ(relative_error(captured.at("out"), out[0]), 0.0);
  EXPECT_TRUE(s.take_captured().empty()) << "taken once per run";
}

TEST(VerifyCapture, OnednnStoresTheFusedBoundariesOnly) {
  const Tensor x = input();
  Session ref = Session::from_graph(small_graph(), options(engine::Backend::kReference, true, false));
  ref.run(x);
  const auto ref_values = ref.take_captured();
  Session plain = Session::from_graph(small_graph(), options(engine::Backend::kOnednn, false));
  const std::vector<Tensor> plain_out = plain.run(x);
  EXPECT_TRUE(plain.take_captured().empty()) << "no capture unless asked";

  Session s = Session::from_graph(small_graph(), options(engine::Backend::kOnednn, true));
  const std::vector<Tensor> out = s.run(x);
  const auto captured = s.take_captured();
  EXPECT_THAT(keys(captured), testing::ElementsAre("out", "y2", "y4"));
  // Fused nodes keep the first node's name and list what they absorbed.
  const Graph& compiled = s.compiled_graph();
  ASSERT_EQ(compiled.nodes.size(), 3u);
  EXPECT_EQ(compiled.nodes[0].name, "conv1");
  EXPECT_THAT(compiled.nodes[0].fused_from, testing::ElementsAre("sigmoid", "mul"));
  EXPECT_EQ(compiled.nodes[1].name, "conv2");
  EXPECT_THAT(compiled.nodes[1].fused_from, testing::ElementsAre("add"));
  // Capture only reads: the outputs are bit for bit those of a plain compile.
  ASSERT_EQ(out[0].size(), plain_out[0].size());
  for (std::int64_t i = 0; i < out[0].size(); ++i)
    ASSERT_EQ(out[0].data<float>()[i], plain_out[0].data<float>()[i]) << i;
  // float32 against the double-accumulating reference: 72-term dot products,
  // relative error well below 1e-5 (a wrong capture would be O(1)).
  for (const auto& [name, t] : captured)
    EXPECT_LT(relative_error(t, ref_values.at(name)), 1e-5) << name;
}

// The failpoint multiplies the faulted node's output alternately by 1.1 and
// 0.9; everything before it is untouched, everything after sees it.
TEST(VerifyCapture, FaultNodePerturbsThatNodeOnly) {
  const Tensor x = input();
  Session clean = Session::from_graph(small_graph(), options(engine::Backend::kOnednn, true));
  clean.run(x);
  const auto clean_values = clean.take_captured();

  ScopedEnv fault("TILESCOPE_FAULT_NODE", "conv2");
  Session s = Session::from_graph(small_graph(), options(engine::Backend::kOnednn, true));
  s.run(x);
  const auto values = s.take_captured();
  EXPECT_EQ(relative_error(values.at("y2"), clean_values.at("y2")), 0.0);
  const Tensor& y4 = values.at("y4");
  const Tensor& y4_clean = clean_values.at("y4");
  for (std::int64_t i = 0; i < y4.size(); ++i) {
    const float factor = i % 2 == 0 ? 1.1f : 0.9f;
    ASSERT_FLOAT_EQ(y4.data<float>()[i], y4_clean.data<float>()[i] * factor) << i;
  }
  EXPECT_GT(relative_error(values.at("out"), clean_values.at("out")), 0.05);

  // The reference backend is the oracle: the failpoint never touches it.
  Session ref = Session::from_graph(small_graph(), options(engine::Backend::kReference, true, false));
  ref.run(x);
  EXPECT_LT(relative_error(ref.take_captured().at("y4"), y4_clean), 1e-5);
}

TEST(VerifyCapture, FaultByAFusedMemberNameHitsTheFusedNode) {
  const Tensor x = input();
  Session clean = Session::from_graph(small_graph(), options(engine::Backend::kOnednn, true));
  clean.run(x);
  const auto clean_values = clean.take_captured();
  ScopedEnv fault("TILESCOPE_FAULT_NODE", "sigmoid"); // fused into conv1
  Session s = Session::from_graph(small_graph(), options(engine::Backend::kOnednn, true));
  s.run(x);
  const auto values = s.take_captured();
  EXPECT_NEAR(relative_error(values.at("y2"), clean_values.at("y2")), 0.1, 0.02);
}

TEST(VerifyCapture, UnknownFaultNodeIsAnError) {
  ScopedEnv fault("TILESCOPE_FAULT_NODE", "no_such_node");
  EXPECT_THAT([] { Session::from_graph(small_graph(), options(engine::Backend::kOnednn, false)); },
              testing::ThrowsMessage<Error>(HasSubstr(
                  "TILESCOPE_FAULT_NODE=no_such_node: the compiled graph has no node of that name")));
}

} // namespace
} // namespace tilescope::verify
