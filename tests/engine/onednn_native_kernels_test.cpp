// onednn backend: the backend's own AVX-512 kernels against the reference
// backend.
//
// - SiLU (and the residual after it) as a step after convolutions that do
//   little work per output element and after Winograd ones (native_swish.h).
//   Cases cover element counts that are not a multiple of the 16-float vector
//   (the masked tail), inputs large enough to reach the clamped ends of exp
//   (|x| up to ~60 after the convolution), a residual, and the depthwise and
//   stem shapes YOLO has. Tolerance 2e-5 of the output's magnitude, as for
//   convolutions alone (onednn_conv_test.cpp): the kernel's own error is below
//   4e-6 relative.
// - Softmax along an axis that is not innermost (native_softmax.h): YOLO's DFL
//   (Transpose then Softmax over 16), ragged inner sizes, large logits (the
//   max subtraction), a reader that converts the layout. Tolerance 1e-5 of the
//   largest output (probabilities: a few float ulps expected).
#include "backends/onednn/native_math.h"
#include "backends/onednn/native_swish.h"
#include "backends/onednn/onednn_executable.h"
#include "onednn_test_util.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace tilescope::engine::onednn_test {
namespace {

using Ints = std::vector<std::int64_t>;

constexpr double kTolerance = 2e-5;

struct SiluCase {
  Shape x;
  std::int64_t out_channels, kernel, stride, group;
  bool sum = false;
  float input_scale = 1.0f;

  std::string name() const {
    return "FusedConv[silu" + std::string(sum ? ",sum" : "") + ",k=" + std::to_string(kernel) +
           ",s=" + std::to_string(stride) + ",g=" + std::to_string(group) +
           ",oc=" + std::to_string(out_channels) + ",scale=" + std::to_string(static_cast<int>(input_scale)) +
           "](" + shape_str(x) + ")";
  }
};

Graph silu_graph(const SiluCase& c) {
  GraphBuilder b(seed_of(c.name()));
  // The input scaled by a Mul so that random inputs reach large magnitudes.
  b.node("Mul", {b.input("x", c.x), b.constant("scale", Tensor::scalar(c.input_scale))}, {"xs"});
  std::vector<std::string> inputs{
      "xs", b.random_constant("w", {c.out_channels, c.x[1] / c.group, c.kernel, c.kernel}, 1.0f / c.kernel),
      b.random_constant("b", {c.out_channels}, 0.5f)};
  const std::int64_t pad = c.kernel / 2;
  if (c.sum) {
    const std::int64_t h = (c.x[2] + 2 * pad - c.kernel) / c.stride + 1;
    const std::int64_t w = (c.x[3] + 2 * pad - c.kernel) / c.stride + 1;
    inputs.push_back(b.input("sum", {c.x[0], c.out_channels, h, w}));
  }
  Node& n = b.node("FusedConv", inputs, {"y"}, "tilescope");
  n.attrs.set("pads", Ints(4, pad));
  n.attrs.set("strides", Ints{c.stride, c.stride});
  n.attrs.set("group", c.group);
  n.attrs.set("activation", std::string("silu"));
  b.output("y");
  return b.build();
}

TEST(OnednnNativeSilu, MatchesReference) {
  const std::vector<SiluCase> cases{
      {{1, 3, 33, 31}, 16, 3, 2, 1},            // stem
      {{1, 16, 17, 19}, 32, 3, 2, 1, false, 8}, // narrow stride 2
      {{1, 8, 7, 9}, 5, 1, 1, 1, true},         // 1x1, 315 outputs: a masked tail
      {{1, 32, 13, 13}, 32, 1, 1, 1, true, 30}, // exp's clamped range
      {{1, 32, 12, 12}, 32, 3, 1, 32},          // depthwise
      {{1, 16, 10, 10}, 16, 3, 1, 1, true, 4},  // Winograd with residual
      {{2, 24, 9, 9}, 24, 1, 1, 1, true},       // batch 2
  };
  for (const SiluCase& c : cases) {
    const std::string name = c.name();
    if (!selected(name)) continue;
    const Graph graph = silu_graph(c);
    expect_matches_reference(name, graph, kTolerance);
    if (onednn::native_swish_available()) {
      const std::vector<std::string> labels = onednn::step_labels(*compile_onednn(graph, 2));
      const bool native = std::count(labels.begin(), labels.end(), "FusedConv(activation)") == 1;
      // The 1x1 and depthwise cases do at most 32 multiply-adds per output:
      // they must take the native step (the others may; all must match).
      if (c.kernel == 1 || c.group > 1) {
        EXPECT_TRUE(native) << name << ": " << ::testing::PrintToString(labels);
      }
    }
  }
}

constexpr double kSoftmaxTolerance = 1e-5;

struct SoftmaxCase {
  Shape x;
  Ints perm; // Transpose before the Softmax; empty for none
  std::int64_t axis;
  float scale = 1.0f;
  bool conv_after = false; // DFL: a 1x1 convolution reads the probabilities

  std::string name() const {
    std::string p;
    for (std::int64_t v : perm)
      p += std::to_string(v);
    return "Softmax[axis=" + std::to_string(axis) + ",perm=" + (p.empty() ? "none" : p) +
           ",scale=" + std::to_string(static_cast<int>(scale)) + (conv_after ? ",conv" : "") + "](" +
           shape_str(x) + ")";
  }
};

TEST(OnednnNativeSoftmax, StridedAxisMatchesReference) {
  const std::vector<SoftmaxCase> cases{
      {{1, 4, 16, 40}, {0, 2, 1, 3}, 1, 1.0f, true}, // the DFL in miniature
      {{1, 4, 16, 33}, {0, 2, 1, 3}, 1, 30.0f},      // ragged inner size, large logits
      {{2, 8, 5, 33}, {}, 1},                        // plain input, batch 2
      {{3, 7, 20}, {}, 0},                           // axis 0
      {{1, 2, 32, 24}, {0, 1, 3, 2}, 2},             // innermost after the Transpose: oneDNN's kernel
  };
  for (const SoftmaxCase& c : cases) {
    const std::string name = c.name();
    if (!selected(name)) continue;
    GraphBuilder b(seed_of(name));
    b.node("Mul", {b.input("x", c.x), b.constant("scale", Tensor::scalar(c.scale))}, {"xs"});
    std::string in = "xs";
    if (!c.perm.empty()) {
      b.node("Transpose", {in}, {"t"}).attrs.set("perm", c.perm);
      in = "t";
    }
    b.node("Softmax", {in}, {"p"}).attrs.set("axis", c.axis);
    std::string out = "p";
    if (c.conv_after) {
      std::vector<float> w(16);
      for (int i = 0; i < 16; ++i)
        w[i] = static_cast<float>(i);
      b.node("Conv", {"p", b.constant("w", tensor_of<float>({1, 16, 1, 1}, w))}, {"y"});
      out = "y";
    }
    b.output(out);
    expect_matches_reference(name, b.build(), kSoftmaxTolerance);
  }
}

} // namespace
} // namespace tilescope::engine::onednn_test
