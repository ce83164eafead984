// onednn backend on whole graphs: layouts flowing between kernels (conv ->
// split -> concat -> resize -> conv), buffer reuse in the arena, in-place ops,
// repeated runs, threads, errors, and a model run end to end through Session.
//
// Tolerance 1e-4 of the output's magnitude: several stacked float32
// convolutions, each within ~2e-5 (onednn_conv_test.cpp), whose errors add up.
#include "backends/onednn/onednn_executable.h"
#include "onednn_test_util.h"
#include "tilescope/engine/session.h"
#include "yolo_graphs.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <oneapi/dnnl/dnnl.hpp>

namespace tilescope::engine::onednn_test {
namespace {

using ::testing::HasSubstr;
using Ints = std::vector<std::int64_t>;

constexpr double kGraphTolerance = 1e-4;

// Step labels with direct convolutions only. The reorder counts below describe
// the NHWC flow of direct convolutions; Winograd (the default for 3x3 stride-1
// convolutions on AVX-512) adds conversions to and from its blocked layout,
// tested in onednn_winograd_test.cpp.
std::vector<std::string> direct_step_labels(const Graph& graph) {
  constexpr const char* kVar = "TILESCOPE_CONV_ALGO";
  const char* old = std::getenv(kVar);
  const std::string saved = old != nullptr ? old : "";
  setenv(kVar, "direct", 1);
  std::vector<std::string> labels = onednn::step_labels(*compile_onednn(graph, 2));
  if (old != nullptr) {
    setenv(kVar, saved.c_str(), 1);
  } else {
    unsetenv(kVar);
  }
  return labels;
}

TEST(OnednnGraph, YoloNeckMatchesReference) {
  const std::string name = "Graph(yolo_neck,[1,3,32,32])";
  expect_matches_reference(name, neck_graph(seed_of(name)), kGraphTolerance);
}

TEST(OnednnGraph, YoloHeadMatchesReference) {
  const std::string name = "Graph(yolo_head,reg_max=4,nc=3)";
  const Graph graph = head_graph(seed_of(name));
  expect_matches_reference(name, graph, kGraphTolerance);
  // Only the three NCHW graph inputs are converted, and the DFL's
  // probabilities once: views and plain-writing Concats leave nothing else to
  // convert. (With AVX-512 the DFL's Transpose is a view and its Softmax runs
  // on that layout, native_softmax.h; the 1x1 convolution after it reads
  // NHWC. Without, the Transpose writes the axis-innermost layout both want.)
  const std::vector<std::string> labels = direct_step_labels(graph);
  EXPECT_LE(std::count(labels.begin(), labels.end(), "Reorder"), 4) << ::testing::PrintToString(labels);
  for (const std::string& label : labels)
    EXPECT_THAT(label, ::testing::Not(HasSubstr("[reference]")));
}

// With AVX-512, convolutions pick NHWC and every kernel keeps it: at most the
// graph input is converted (NCHW -> NHWC), whatever the depth, and nothing runs
// on the fallback.
TEST(OnednnGraph, LayoutsFlowWithoutReorders) {
  if (dnnl::get_effective_cpu_isa() < dnnl::cpu_isa::avx512_core) {
    GTEST_SKIP() << "layouts are blocked below AVX-512; the count below is for NHWC";
  }
  const Graph graph = neck_graph(1);
  const std::vector<std::string> labels = direct_step_labels(graph);
  ASSERT_FALSE(labels.empty());
  EXPECT_LE(std::count(labels.begin(), labels.end(), "Reorder"), 1) << ::testing::PrintToString(labels);
  // Split halves are views: only the half a convolution reads is copied, once
  // per C2f block (3 here); the other goes straight into the Concat.
  EXPECT_EQ(std::count(labels.begin(), labels.end(), "Reorder(view)"), 3) << ::testing::PrintToString(labels);
  // The bottleneck convolutions here do little work per output (8 or 16
  // channels, 3x3): SiLU and the residual run as one native step after them
  // (native_swish.h, AVX-512), which reads the residual where it is, so no
  // `sum` post-op needs it copied into the convolution's output.
  EXPECT_EQ(std::count(labels.begin(), labels.end(), "Reorder(sum)"), 0) << ::testing::PrintToString(labels);
  for (const std::string& label : labels)
    EXPECT_THAT(label, ::testing::Not(HasSubstr("[reference]")));
}

TEST(OnednnGraph, ArenaReusesBuffers) {
  GraphBuilder b(7);
  std::string x = b.input("x", {1, 16, 32, 32});
  for (int i = 0; i < 10; ++i)
    x = conv_silu(b, x, 16, 16, 3, 1, "c" + std::to_string(i));
  b.output(x);
  const Graph graph = b.build();
  const auto exe = compile_onednn(graph, 2);
  const MemoryReport m = exe->memory();
  const std::size_t tensor_bytes = 16 * 32 * 32 * sizeof(float);
  // A chain needs two live activations at a time (src and dst of one conv).
  EXPECT_LE(m.activation_bytes, 3 * tensor_bytes);
  EXPECT_GE(m.activation_naive_bytes, 10 * tensor_bytes);
  EXPECT_GE(m.weight_bytes, 10 * 16 * 16 * 9 * sizeof(float));
  expect_matches_reference("Graph(conv_chain_10)", graph, kGraphTolerance);
}

// Runs with other inputs must not see leftovers; graph inputs are never written.
TEST(OnednnGraph, RepeatedRunsWithNewInputs) {
  const Graph graph = neck_graph(3);
  auto ref = compile_reference(graph);
  auto exe = compile_onednn(graph, 2);
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    const std::vector<Tensor> inputs = random_inputs(graph, seed);
    const Tensor before = inputs[0].clone();
    const Comparison c = compare_outputs(run(*ref, inputs), run(*exe, inputs));
    EXPECT_EQ(c.problem, "");
    EXPECT_LE(c.relative_error, kGraphTolerance) << "seed " << seed;
    EXPECT_EQ(0, std::memcmp(before.raw(), inputs[0].raw(), before.nbytes())) << "graph input was modified";
  }
}

TEST(OnednnGraph, ThreadCountsAgree) {
  const Graph graph = neck_graph(4);
  const std::vector<Tensor> inputs = random_inputs(graph, 9);
  const std::vector<Tensor> one = run(*compile_onednn(graph, 1), inputs);
  const std::vector<Tensor> all = run(*compile_onednn(graph, 0), inputs);
  EXPECT_LE(compare_outputs(one, all).relative_error, kGraphTolerance);
}

// An input that is also an output, an output read by a later node, and two
// outputs sharing one buffer all come back as plain tensors.
TEST(OnednnGraph, OutputsOfEveryKind) {
  const std::string name = "Graph(outputs_of_every_kind)";
  GraphBuilder b(seed_of(name));
  const std::string x = b.input("x", {1, 8, 6, 6});
  conv_silu(b, x, 8, 8, 3, 1, "c1");
  conv_silu(b, "c1", 8, 8, 3, 1, "c2");
  b.node("Identity", {x}, {"x_copy"});
  b.node("Identity", {"c2"}, {"c2_copy"}); // shares c2's buffer: one of them is copied
  b.output("c1");
  b.output("c2");
  b.output("x_copy");
  b.output(x);
  b.output("c2_copy");
  expect_matches_reference(name, b.build(), kGraphTolerance);
}

TEST(OnednnGraph, UnknownOperatorFailsAtCompileNamingTheNode) {
  GraphBuilder b(1);
  const std::string x = b.input("x", {1, 4});
  b.node("Relu", {x}, {"r"});
  Graph graph = b.build();
  Node mod;
  mod.name = "/model/Mod_7";
  mod.op_type = "Mod";
  mod.inputs = {"r", "r"};
  mod.outputs = {"y"};
  graph.nodes.push_back(std::move(mod));
  graph.value_types["y"] = graph.value_types["r"];
  graph.outputs.push_back(ValueInfo{"y", DType::kFloat32, {}, false});
  try {
    compile_onednn(graph, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/model/Mod_7"));
    EXPECT_THAT(e.what(), HasSubstr("Mod"));
  }
}

TEST(OnednnGraph, WrongInputShapeIsAnError) {
  GraphBuilder b(1);
  b.node("Relu", {b.input("x", {1, 4, 5})}, {"y"});
  b.output("y");
  auto exe = compile_onednn(b.build(), 1);
  const Tensor wrong(DType::kFloat32, {1, 4, 6});
  const Tensor* inputs[] = {&wrong};
  EXPECT_THROW(exe->run(inputs), Error);
}

// The whole path a user takes: Session with the onednn backend (fusion passes
// on: Conv+Sigmoid+Mul becomes FusedConv silu, Add becomes the sum post-op)
// against a Session on the reference backend.
TEST(OnednnGraph, SessionEndToEnd) {
  GraphBuilder b(11);
  const std::string x = b.input("images", {1, 3, 24, 24});
  std::string prev = x;
  std::int64_t c = 3;
  for (int i = 0; i < 3; ++i) {
    const std::string s = std::to_string(i);
    Node& conv = b.node(
        "Conv", {prev, b.random_constant("w" + s, {8, c, 3, 3}, 0.4f), b.random_constant("b" + s, {8}, 0.1f)},
        {"conv" + s});
    conv.attrs.set("pads", Ints{1, 1, 1, 1});
    b.node("Sigmoid", {"conv" + s}, {"sig" + s});
    b.node("Mul", {"conv" + s, "sig" + s}, {"act" + s});
    prev = "act" + s;
    if (i > 0) {
      b.node("Add", {prev, "act" + std::to_string(i - 1)}, {"res" + s});
      prev = "res" + s;
    }
    c = 8;
  }
  b.node("MaxPool", {prev}, {"y"}).attrs.set("kernel_shape", Ints{2, 2});
  b.last_node().attrs.set("strides", Ints{2, 2});
  b.output("y");
  const Graph graph = b.build();

  Session onednn = Session::from_graph(graph.clone(), SessionOptions{Backend::kOnednn, 2});
  Session reference = Session::from_graph(graph.clone(), SessionOptions{Backend::kReference});
  const std::vector<Tensor> inputs = random_inputs(graph, 5);
  const Comparison cmp = compare_outputs(reference.run(inputs[0]), onednn.run(inputs[0]));
  EXPECT_EQ(cmp.problem, "");
  EXPECT_LE(cmp.relative_error, kGraphTolerance);
  const MemoryReport m = onednn.memory_report();
  EXPECT_GT(m.weight_bytes, 0u);
  EXPECT_GT(m.activation_bytes, 0u);
  EXPECT_LE(m.activation_bytes, m.activation_naive_bytes);

  // Without the fusion passes: Conv, the Sigmoid/Mul pair as one swish step,
  // Add as a binary primitive.
  SessionOptions unfused{Backend::kOnednn, 2};
  unfused.fuse = false;
  Session plain = Session::from_graph(graph.clone(), unfused);
  const Comparison cmp_unfused = compare_outputs(reference.run(inputs[0]), plain.run(inputs[0]));
  EXPECT_EQ(cmp_unfused.problem, "");
  EXPECT_LE(cmp_unfused.relative_error, kGraphTolerance);
}

} // namespace
} // namespace tilescope::engine::onednn_test
