// onednn backend: Conv and tilescope.FusedConv against the reference backend.
//
// Tolerance 2e-5 of the output's magnitude: the reference accumulates in
// double, oneDNN in float32 in its own order; over K = C/g * kh * kw <= 800
// products of inputs in [-1, 1] the float32 rounding error stays below
// K * 2^-24 * max|partial sum|, a few 1e-6 of the output's range for these sizes.
// Activation post-ops (exp-based sigmoid/silu/tanh) add a few float ulps.
#include "onednn_test_util.h"

#include <gtest/gtest.h>

namespace tilescope::engine::onednn_test {
namespace {

constexpr double kConvTolerance = 2e-5;

struct ConvCase {
  Shape x; // [N, C, H, W] (or [N, C, L] / [N, C, D, H, W])
  std::int64_t out_channels = 8;
  std::int64_t kernel = 3;
  std::int64_t stride = 1;
  std::int64_t group = 1;
  std::int64_t dilation = 1;
  std::int64_t pad = 1;
  bool bias = true;
  std::string auto_pad; // "" = explicit pads

  std::string name(const std::string& op) const {
    std::string n = op + "(k=" + std::to_string(kernel) + ",s=" + std::to_string(stride) +
                    ",g=" + std::to_string(group) + ",d=" + std::to_string(dilation) +
                    ",p=" + std::to_string(pad) + ",oc=" + std::to_string(out_channels) +
                    (bias ? "" : ",nobias") + (auto_pad.empty() ? "" : "," + auto_pad) + "," + shape_str(x) +
                    ")";
    return n;
  }
};

// Adds a Conv/FusedConv node reading `x` with random weights; returns its output.
std::string add_conv(GraphBuilder& b, const ConvCase& c, const std::string& x, const std::string& out,
                     const std::string& op = "Conv") {
  const std::string tag = out + "_";
  Shape w{c.out_channels, c.x[1] / c.group};
  for (std::size_t i = 2; i < c.x.size(); ++i)
    w.push_back(c.kernel);
  std::vector<std::string> inputs{x, b.random_constant(tag + "w", w, 0.5f)};
  if (c.bias) inputs.push_back(b.random_constant(tag + "b", {c.out_channels}));
  Node& n = b.node(op, inputs, {out}, op == "FusedConv" ? "tilescope" : "");
  const std::size_t spatial = c.x.size() - 2;
  n.attrs.set("strides", std::vector<std::int64_t>(spatial, c.stride));
  n.attrs.set("dilations", std::vector<std::int64_t>(spatial, c.dilation));
  n.attrs.set("group", c.group);
  if (c.auto_pad.empty()) {
    n.attrs.set("pads", std::vector<std::int64_t>(2 * spatial, c.pad));
  } else {
    n.attrs.set("auto_pad", c.auto_pad);
  }
  return out;
}

TEST(OnednnConv, MatchesReferenceOverGrid) {
  std::vector<ConvCase> cases;
  for (std::int64_t k : {1, 3, 5}) {
    for (std::int64_t s : {1, 2}) {
      for (std::int64_t g : {1, 2, 16}) {
        ConvCase c{{1, 16, 17, 20}, g == 16 ? 16 : 24, k, s, g, 1, k / 2};
        cases.push_back(c);
      }
    }
  }
  cases.push_back({{1, 3, 64, 64}, 16, 3, 2, 1, 1, 1}); // YOLO stem shape, scaled down
  cases.push_back({{1, 16, 32, 32}, 32, 3, 2, 1, 1, 1});
  cases.push_back({{2, 8, 15, 15}, 8, 3, 1, 1, 2, 2});        // dilation, batch 2
  cases.push_back({{1, 8, 15, 15}, 8, 3, 1, 1, 1, 0, false}); // no pad, no bias
  cases.push_back({{1, 8, 15, 16}, 8, 4, 2, 1, 1, 0, true, "SAME_UPPER"});
  cases.push_back({{1, 8, 15, 16}, 8, 4, 2, 1, 1, 0, true, "SAME_LOWER"});
  cases.push_back({{1, 8, 15, 16}, 8, 3, 2, 1, 1, 0, true, "VALID"});
  cases.push_back({{1, 8, 33}, 12, 3, 2, 1, 1, 1});       // 1-D
  cases.push_back({{1, 4, 6, 7, 8}, 8, 3, 1, 1, 1, 1});   // 3-D
  cases.push_back({{1, 64, 20, 20}, 64, 1, 1, 1, 1, 0});  // 1x1, YOLO-sized
  cases.push_back({{1, 32, 20, 20}, 32, 3, 1, 32, 1, 1}); // depthwise
  for (const ConvCase& c : cases) {
    const std::string name = c.name("Conv");
    if (!selected(name)) continue;
    GraphBuilder b(seed_of(name));
    add_conv(b, c, b.input("x", c.x), "y");
    b.output("y");
    expect_matches_reference(name, b.build(), kConvTolerance);
  }
}

// Every activation, with and without bias; alpha/beta where the activation reads them.
TEST(OnednnConv, FusedActivations) {
  struct Act {
    std::string name;
    float alpha, beta;
  };
  const std::vector<Act> acts{{"none", 0, 0},
                              {"relu", 0, 0},
                              {"leaky_relu", 0.1f, 0},
                              {"sigmoid", 0, 0},
                              {"hard_sigmoid", 0.25f, 0.4f},
                              {"hard_swish", 0, 0},
                              {"silu", 0, 0},
                              {"clip", -0.5f, 0.75f},
                              {"tanh", 0, 0}};
  for (const Act& act : acts) {
    for (bool bias : {true, false}) {
      ConvCase c{{1, 16, 18, 18}, 16, 3, 1, 1, 1, 1, bias};
      const std::string name = c.name("FusedConv[" + act.name + "]");
      if (!selected(name)) continue;
      GraphBuilder b(seed_of(name));
      add_conv(b, c, b.input("x", c.x), "y", "FusedConv");
      Node& n = b.last_node();
      n.attrs.set("activation", act.name);
      if (act.name == "leaky_relu" || act.name == "hard_sigmoid" || act.name == "clip") {
        n.attrs.set("alpha", act.alpha);
        if (act.name != "leaky_relu") n.attrs.set("beta", act.beta);
      }
      b.output("y");
      expect_matches_reference(name, b.build(), kConvTolerance);
    }
  }
}

// The residual input of FusedConv in each situation the backend handles
// differently: Sum's last read (dst takes its storage), Sum read again later
// (copied into dst), Sum a graph input (never overwritten), Sum equal to X, and
// Sum a Split view (C2f) whose dense copy, made for a conv reader, dst takes
// over, unless that copy is the conv's own input.
TEST(OnednnConv, FusedSum) {
  const ConvCase c{{1, 16, 12, 12}, 16, 3, 1, 1, 1, 1};
  const ConvCase half{{1, 8, 12, 12}, 8, 3, 1, 1, 1, 1};
  for (const std::string variant :
       {"last_use", "reused", "graph_input", "same_as_x", "silu_last_use", "split_half", "split_half_as_x"}) {
    const std::string name = "FusedConv[sum=" + variant + "](" + shape_str(c.x) + ")";
    if (!selected(name)) continue;
    GraphBuilder b(seed_of(name));
    const std::string x = b.input("x", c.x);
    const std::string p = add_conv(b, c, x, "p");
    const std::string q = add_conv(b, c, x, "q");
    const bool split = variant.starts_with("split_half");
    std::string sum = q;
    std::string conv_input = p;
    if (variant == "graph_input") sum = x;
    if (variant == "same_as_x") sum = p;
    if (split) {
      b.node("Split", {q, b.constant("split", tensor_of<std::int64_t>({2}, {8, 8}))}, {"h0", "h1"})
          .attrs.set("axis", std::int64_t{1});
      sum = "h1";
      conv_input = variant == "split_half" ? add_conv(b, half, "h1", "h1_conv") : "h1";
    }
    add_conv(b, split ? half : c, conv_input, "y", "FusedConv");
    Node& n = b.last_node();
    n.inputs.push_back(sum);
    if (variant == "silu_last_use") n.attrs.set("activation", std::string("silu"));
    b.output("y");
    if (variant == "reused") {
      b.node("Relu", {q}, {"z"});
      b.output("z");
    }
    if (split) {
      b.node("Concat", {"h0", "h1", "y"}, {"cat"}).attrs.set("axis", std::int64_t{1});
      b.output("cat");
    }
    // Keep x alive past the conv so that the "graph input" case really must copy.
    if (variant == "graph_input") b.output("p");
    expect_matches_reference(name, b.build(), kConvTolerance);
  }
}

// Weights computed at run time cannot be reordered once: the fallback runs them.
TEST(OnednnConv, RuntimeWeightsUseFallback) {
  const std::string name = "Conv[runtime_weights]";
  GraphBuilder b(seed_of(name));
  const std::string x = b.input("x", {1, 4, 9, 9});
  const std::string w = b.input("w", {6, 4, 3, 3});
  b.node("Conv", {x, w}, {"y"});
  b.output("y");
  expect_matches_reference(name, b.build(), kConvTolerance);
}

} // namespace
} // namespace tilescope::engine::onednn_test
