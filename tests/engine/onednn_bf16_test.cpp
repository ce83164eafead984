// onednn backend in bf16 mode (SessionOptions::precision = kBf16) against the
// reference backend (float32 values, double accumulation), which is what fp32
// matches to ~1e-5 (onednn_conv_test.cpp), so these tolerances are bf16's.
//
// Tolerance. bfloat16 keeps 8 significant bits: rounding to it moves a value
// by at most 2^-9 (~2e-3) of itself. A convolution here rounds its input and
// its weights (each product off by up to ~4e-3 relative), accumulates in
// float32, and rounds its output again when a bf16 reader follows. The
// products' errors are independent, so over K terms they grow like sqrt(K)
// while the output grows like sqrt(K) too: the error stays near 2^-8 of the
// typical output, and its largest of thousands of outputs a few times that.
//   one convolution:   1e-2 of max |output| (measured 1.6e-3 to 2.3e-3;
//                      fp32 on the same cases 1e-7 to 5e-7);
//   a YOLO-shaped net: 5e-2 (measured 2.3e-2 on the neck, ~15 stacked
//                      convolutions with SiLU and residuals whose errors add
//                      up; 2.4e-4 on the head, whose decode is f32).
// A real fault (a wrong layout, a value read as the wrong type: bf16 bits read
// as f32 are garbage) is O(1).
#include "backends/onednn/onednn_executable.h"
#include "onednn_test_util.h"
#include "tilescope/engine/session.h"
#include "yolo_graphs.h"

#include <algorithm>
#include <cstdio>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <oneapi/dnnl/dnnl.hpp>

namespace tilescope::engine::onednn_test {
namespace {

using ::testing::HasSubstr;

constexpr double kBf16ConvTolerance = 1e-2;
constexpr double kBf16GraphTolerance = 5e-2;

bool has_avx512() { return dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core; }

// Runs `graph` on the reference, on onednn fp32 and onednn bf16 with the same
// inputs (twice for bf16: nothing may depend on a previous run); returns the
// bf16 error and checks fp32 stays at float32 accuracy on the same graph.
double bf16_error(const std::string& name, const Graph& graph) {
  SCOPED_TRACE("case " + name + " (rerun: ONEDNN_CASE='" + name + "')");
  const std::vector<Tensor> inputs = random_inputs(graph, seed_of(name));
  const std::vector<Tensor> expected = run(*compile_reference(graph), inputs);
  const Comparison fp32 = compare_outputs(expected, run(*compile_onednn(graph, 2), inputs));
  EXPECT_EQ(fp32.problem, "");
  EXPECT_LE(fp32.relative_error, 1e-4) << name << " fp32";
  std::unique_ptr<Executable> exe = compile_onednn(graph, 2, false, /*bf16=*/true);
  double worst = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const Comparison c = compare_outputs(expected, run(*exe, inputs));
    EXPECT_EQ(c.problem, "") << name;
    worst = std::max(worst, c.relative_error);
  }
  std::printf("%s: bf16 error %.3g of max |output| (fp32 %.3g)\n", name.c_str(), worst, fp32.relative_error);
  return worst;
}

Graph conv_graph(const std::string& name, Shape x, std::int64_t out, std::int64_t k, std::int64_t stride,
                 std::int64_t group, const std::string& activation, bool sum) {
  GraphBuilder b(seed_of(name));
  const std::string in = b.input("x", x);
  std::vector<std::string> inputs{in, b.random_constant("w", {out, x[1] / group, k, k}, 0.5f),
                                  b.random_constant("b", {out}, 0.1f)};
  const std::int64_t h = (x[2] + 2 * (k / 2) - k) / stride + 1;
  const std::int64_t w = (x[3] + 2 * (k / 2) - k) / stride + 1;
  if (sum) inputs.push_back(b.input("sum", {x[0], out, h, w}));
  Node& n = b.node("FusedConv", inputs, {"y"}, "tilescope");
  n.attrs.set("pads", Ints(4, k / 2));
  n.attrs.set("strides", Ints{stride, stride});
  n.attrs.set("group", group);
  n.attrs.set("activation", activation);
  b.output("y");
  return b.build();
}

TEST(OnednnBf16, ConvolutionsMatchReference) {
  if (!has_avx512()) GTEST_SKIP() << "bf16 convolutions need AVX-512";
  struct Case {
    Shape x;
    std::int64_t out, k, stride, group;
    std::string activation;
    bool sum;
  };
  const std::vector<Case> cases{
      {{1, 3, 64, 64}, 16, 3, 2, 1, "silu", false},    // YOLO stem, scaled down
      {{2, 3, 9, 37}, 16, 3, 2, 1, "silu", false},     // stem input: rows not a multiple of 16 wide
      {{1, 1, 8, 20}, 8, 3, 1, 1, "relu", false},      // one-channel image
      {{1, 4, 6, 48}, 16, 3, 1, 1, "none", false},     // four-channel image
      {{1, 16, 32, 32}, 32, 3, 2, 1, "silu", false},   // downsampling
      {{1, 32, 20, 20}, 32, 3, 1, 1, "silu", true},    // bottleneck with residual
      {{1, 64, 20, 20}, 64, 1, 1, 1, "silu", false},   // 1x1
      {{1, 64, 10, 10}, 80, 3, 1, 1, "none", false},   // head widths, no activation
      {{1, 32, 20, 20}, 32, 3, 1, 32, "relu", false},  // depthwise
      {{2, 16, 12, 12}, 24, 3, 1, 1, "sigmoid", true}, // batch 2
  };
  for (const Case& c : cases) {
    const std::string name = "FusedConv[bf16,k=" + std::to_string(c.k) + ",s=" + std::to_string(c.stride) +
                             ",g=" + std::to_string(c.group) + "," + c.activation + (c.sum ? ",sum" : "") +
                             "," + shape_str(c.x) + "]";
    if (!selected(name)) continue;
    const double err =
        bf16_error(name, conv_graph(name, c.x, c.out, c.k, c.stride, c.group, c.activation, c.sum));
    EXPECT_LE(err, kBf16ConvTolerance) << name;
    // Rounding to bf16 must show: a bf16 path that silently ran f32 is a bug too.
    EXPECT_GT(err, 1e-5) << name << ": no bf16 rounding visible";
  }
}

TEST(OnednnBf16, YoloNeckAndHeadMatchReference) {
  if (!has_avx512()) GTEST_SKIP() << "bf16 convolutions need AVX-512";
  const std::string neck = "Graph[bf16,yolo_neck,[1,3,32,32]]";
  if (selected(neck)) {
    EXPECT_LE(bf16_error(neck, neck_graph(seed_of(neck))), kBf16GraphTolerance);
  }
  const std::string head = "Graph[bf16,yolo_head,reg_max=4,nc=3]";
  if (selected(head)) {
    EXPECT_LE(bf16_error(head, head_graph(seed_of(head))), kBf16GraphTolerance);
  }
}

// Values stay bf16 from one convolution to the next (through Split views,
// Concat, MaxPool, Resize): conversions happen only at the graph input and
// where float32 readers begin. The neck has one input; its outputs are a
// Concat ("sppf", f32 since it is an output: its inputs are converted in its
// copy) and a convolution (writing f32 itself); the Concat that reads the
// upsampled "sppf" converts it in its copy too. So one Reorder: the input.
TEST(OnednnBf16, ConvertsOnlyAtPrecisionBoundaries) {
  if (!has_avx512()) GTEST_SKIP() << "bf16 convolutions need AVX-512";
  const Graph graph = neck_graph(1);
  const std::vector<std::string> labels = onednn::step_labels(*compile_onednn(graph, 2, false, true));
  ASSERT_FALSE(labels.empty());
  EXPECT_EQ(std::count(labels.begin(), labels.end(), "Reorder"), 1) << ::testing::PrintToString(labels);
  for (const std::string& label : labels) {
    EXPECT_THAT(label, ::testing::Not(HasSubstr("[reference]")));
    EXPECT_THAT(label, ::testing::Not(HasSubstr("winograd"))); // no bf16 Winograd in oneDNN
  }
}

// Through Session: precision bf16 runs, and the combinations that cannot run
// are refused at load with a message that says what to do.
TEST(OnednnBf16, SessionPrecisionOption) {
  EXPECT_EQ(parse_precision("bf16"), Precision::kBf16);
  EXPECT_EQ(parse_precision("fp16"), std::nullopt);
  EXPECT_EQ(precision_name(Precision::kInt8), "int8");
  const Graph graph = neck_graph(7);
  SessionOptions reference;
  reference.backend = Backend::kReference;
  reference.precision = Precision::kBf16;
  EXPECT_THAT([&] { Session::from_graph(graph.clone(), reference); },
              ::testing::ThrowsMessage<Error>(HasSubstr("bf16 needs the onednn backend")));
  SessionOptions int8;
  int8.precision = Precision::kInt8;
  EXPECT_THAT([&] { Session::from_graph(graph.clone(), int8); },
              ::testing::ThrowsMessage<Error>(HasSubstr("tilescope model quantize")));
  if (!has_avx512()) GTEST_SKIP() << "bf16 convolutions need AVX-512";
  SessionOptions bf16;
  bf16.precision = Precision::kBf16;
  bf16.threads = 2;
  Session session = Session::from_graph(graph.clone(), bf16);
  SessionOptions fp32;
  fp32.threads = 2;
  Session f32_session = Session::from_graph(graph.clone(), fp32);
  const std::vector<Tensor> inputs = random_inputs(graph, 7);
  const Comparison c = compare_outputs(f32_session.run(inputs[0]), session.run(inputs[0]));
  EXPECT_EQ(c.problem, "");
  EXPECT_LE(c.relative_error, kBf16GraphTolerance);
  EXPECT_GT(c.relative_error, 1e-5);
}

} // namespace
} // namespace tilescope::engine::onednn_test
