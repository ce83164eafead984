// onednn backend: Winograd convolutions (3x3, stride 1) against the reference
// backend, with TILESCOPE_CONV_ALGO forcing the algorithm for each compile.
//
// Winograd computes the convolution through tile transforms whose constants
// amplify float32 rounding beyond the direct product sum. Measured on these
// cases: 1.3e-7 to 1.7e-6 of the output's magnitude. The tolerance, 2e-5 (as
// for direct convolutions in onednn_conv_test.cpp), leaves room for
// K = C * 9 <= 1152 products while any real error (a wrong tile offset, pad or
// activation order) is >= 1e-2.
//
// oneDNN 2.6 fuses ReLU-family activations and `sum` into Winograd but refuses
// swish/logistic post-ops: those run as separate steps after the convolution,
// and Sum after them (act(conv) + Sum, not act(conv + Sum)); both orders are
// exercised here.
#include "backends/onednn/onednn_executable.h"
#include "onednn_test_util.h"

#include <algorithm>
#include <cstdlib>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tilescope::engine::onednn_test {
namespace {

constexpr double kWinogradTolerance = 2e-5;

// Sets TILESCOPE_CONV_ALGO while alive (the backend reads it at each compile)
// and restores the previous value.
class ScopedConvAlgo {
public:
  explicit ScopedConvAlgo(const char* algo) {
    if (const char* old = std::getenv(kVar)) old_ = old;
    setenv(kVar, algo, 1);
  }
  ~ScopedConvAlgo() {
    if (old_) {
      setenv(kVar, old_->c_str(), 1);
    } else {
      unsetenv(kVar);
    }
  }
  ScopedConvAlgo(const ScopedConvAlgo&) = delete;
  ScopedConvAlgo& operator=(const ScopedConvAlgo&) = delete;

private:
  static constexpr const char* kVar = "TILESCOPE_CONV_ALGO";
  std::optional<std::string> old_;
};

bool has_avx512() { return dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core; }

std::size_t count_with(const std::vector<std::string>& labels, const std::string& part) {
  return std::count_if(labels.begin(), labels.end(),
                       [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

struct WinoCase {
  Shape x;
  std::int64_t out_channels;
  std::int64_t pad = 1;
  std::string activation = "none";
  bool bias = true;
  bool sum = false;
  // Expect the Winograd kernel on AVX-512 (channels a multiple of 16).
  bool expect_winograd = true;

  std::string name() const {
    return "FusedConv[winograd," + activation + (sum ? ",sum" : "") + (bias ? "" : ",nobias") +
           ",p=" + std::to_string(pad) + ",oc=" + std::to_string(out_channels) + "](" + shape_str(x) + ")";
  }
};

Graph wino_graph(const WinoCase& c) {
  GraphBuilder b(seed_of(c.name()));
  const std::string x = b.input("x", c.x);
  std::vector<std::string> inputs{x, b.random_constant("w", {c.out_channels, c.x[1], 3, 3}, 0.5f)};
  if (c.bias) inputs.push_back(b.random_constant("b", {c.out_channels}));
  if (c.sum) {
    if (!c.bias) inputs.push_back(""); // optional input left out
    const Shape sum_shape{c.x[0], c.out_channels, c.x[2] + 2 * c.pad - 2, c.x[3] + 2 * c.pad - 2};
    inputs.push_back(b.input("sum", sum_shape));
  }
  Node& n = b.node("FusedConv", inputs, {"y"}, "tilescope");
  n.attrs.set("pads", std::vector<std::int64_t>(4, c.pad));
  n.attrs.set("activation", c.activation);
  if (c.activation == "hard_sigmoid" || c.activation == "clip") {
    n.attrs.set("alpha", c.activation == "clip" ? -0.5f : 0.25f);
    n.attrs.set("beta", c.activation == "clip" ? 0.75f : 0.4f);
  }
  if (c.activation == "leaky_relu") n.attrs.set("alpha", 0.1f);
  b.output("y");
  return b.build();
}

TEST(OnednnWinograd, MatchesReference) {
  const ScopedConvAlgo algo("winograd");
  std::vector<WinoCase> cases;
  for (const char* act : {"none", "relu", "leaky_relu", "silu", "sigmoid", "hard_sigmoid", "clip", "tanh"}) {
    for (bool sum : {false, true})
      cases.push_back({{1, 16, 18, 18}, 16, 1, act, true, sum});
  }
  cases.push_back({{1, 32, 20, 20}, 32, 1, "silu", true, true});
  cases.push_back({{1, 64, 20, 20}, 80, 1, "silu"}); // YOLO head widths
  cases.push_back({{1, 128, 10, 10}, 64, 1, "silu"});
  cases.push_back({{4, 16, 12, 12}, 16, 1, "silu", true, true});        // batch 4 (F(4,3) tiles)
  cases.push_back({{1, 16, 13, 11}, 16, 1, "silu", false});             // ragged tiles, no bias
  cases.push_back({{1, 16, 12, 12}, 16, 0, "relu"});                    // no padding
  cases.push_back({{1, 8, 15, 15}, 12, 1, "silu", true, false, false}); // channels oneDNN may refuse
  for (const WinoCase& c : cases) {
    const std::string name = c.name();
    if (!selected(name)) continue;
    const Graph graph = wino_graph(c);
    expect_matches_reference(name, graph, kWinogradTolerance);
    if (c.expect_winograd && has_avx512()) {
      const std::vector<std::string> labels = onednn::step_labels(*compile_onednn(graph, 2));
      EXPECT_EQ(count_with(labels, "FusedConv(winograd)"), 1)
          << name << ": " << ::testing::PrintToString(labels);
    }
  }
}

// Only 3x3 stride-1 ungrouped undilated 2-D convolutions may take Winograd.
TEST(OnednnWinograd, OtherConvolutionsStayDirect) {
  const ScopedConvAlgo algo("winograd");
  struct Other {
    std::string name;
    std::int64_t kernel, stride, group, dilation;
  };
  for (const Other& o : {Other{"k1", 1, 1, 1, 1}, Other{"s2", 3, 2, 1, 1}, Other{"g2", 3, 1, 2, 1},
                         Other{"d2", 3, 1, 1, 2}, Other{"k5", 5, 1, 1, 1}}) {
    const std::string name = "Conv[winograd_env," + o.name + "]";
    if (!selected(name)) continue;
    GraphBuilder b(seed_of(name));
    const std::string x = b.input("x", {1, 32, 16, 16});
    Node& n =
        b.node("Conv", {x, b.random_constant("w", {32, 32 / o.group, o.kernel, o.kernel}, 0.5f)}, {"y"});
    n.attrs.set("strides", std::vector<std::int64_t>(2, o.stride));
    n.attrs.set("dilations", std::vector<std::int64_t>(2, o.dilation));
    n.attrs.set("group", o.group);
    n.attrs.set("pads", std::vector<std::int64_t>(4, o.dilation * (o.kernel / 2)));
    b.output("y");
    const Graph graph = b.build();
    expect_matches_reference(name, graph, kWinogradTolerance);
    const std::vector<std::string> labels = onednn::step_labels(*compile_onednn(graph, 2));
    EXPECT_EQ(count_with(labels, "(winograd)"), 0) << name << ": " << ::testing::PrintToString(labels);
  }
}

// TILESCOPE_CONV_ALGO=direct turns Winograd off; an unknown value is an error
// that names the variable.
TEST(OnednnWinograd, AlgorithmSwitch) {
  const WinoCase c{{1, 16, 18, 18}, 16, 1, "silu", true, true};
  const Graph graph = wino_graph(c);
  {
    const ScopedConvAlgo algo("direct");
    const std::vector<std::string> labels = onednn::step_labels(*compile_onednn(graph, 2));
    EXPECT_EQ(count_with(labels, "(winograd)"), 0) << ::testing::PrintToString(labels);
    expect_matches_reference(c.name() + "[direct]", graph, kWinogradTolerance);
  }
  {
    const ScopedConvAlgo algo("fastest");
    EXPECT_THAT([&] { compile_onednn(graph, 2); },
                ::testing::ThrowsMessage<Error>(::testing::HasSubstr("TILESCOPE_CONV_ALGO")));
  }
}

} // namespace
} // namespace tilescope::engine::onednn_test
