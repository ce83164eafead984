// The integer convolution (passes/fold_qdq_conv.cpp, tilescope.QConv): with
// precision int8 the onednn backend turns Q -> DQ -> Conv (+ SiLU, + residual
// Add) with int8 weights into one int8 oneDNN convolution, whose output must
// match the reference backend running the QDQ graph as written (fake
// quantization in float), for uint8 and int8 activations, zero point or not,
// and with several QConvs quantizing the same input (one shared copy).
//
//   x ─► Q ─► DQ ─► Conv(DQ(W_q), DQ(B_q)) ─► Sigmoid, Mul (SiLU) ─► Add(+ r) ─► y
#include "tilescope/engine/session.h"

#include <cmath>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <random>

namespace tilescope::quant {
namespace {

using engine::DType;
using engine::Graph;
using engine::Node;
using engine::Session;
using engine::SessionOptions;
using engine::Tensor;

Node node(const std::string& name, const std::string& op, std::vector<std::string> in,
          std::vector<std::string> out) {
  Node n;
  n.name = name;
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

struct Case {
  const char* name;
  bool int8_activations;
  int zero_point;
  bool residual;
  // Two more Q -> DQ -> Conv (3x3, stride 1 and 2, no activation) on the same x
  // with the same quantization: the onednn backend quantizes x once for all.
  bool twins = false;
};

Graph qdq_graph(const Case& k) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> q(-127, 127);
  std::uniform_real_distribution<float> scale(0.002f, 0.01f);
  const std::int64_t c_in = 16, c_out = 24;
  Graph g;
  g.opset = 13;
  g.inputs.push_back({"x", DType::kFloat32, {{1, ""}, {c_in, ""}, {10, ""}, {10, ""}}, true});
  if (k.residual)
    g.inputs.push_back({"r", DType::kFloat32, {{1, ""}, {c_out, ""}, {10, ""}, {10, ""}}, true});
  g.outputs.push_back({"y", DType::kFloat32, {}, false});
  Tensor wq(DType::kInt8, {c_out, c_in, 3, 3});
  for (auto& v : wq.values<std::int8_t>())
    v = static_cast<std::int8_t>(q(rng));
  for (std::int64_t c = 0; c < c_out; ++c)
    wq.values<std::int8_t>()[c * c_in * 9] = 127; // max |q| = 127 in every channel (symmetric)
  Tensor ws(DType::kFloat32, {c_out});
  for (auto& v : ws.values<float>())
    v = scale(rng);
  const float x_scale = 0.02f;
  Tensor bq(DType::kInt32, {c_out});
  for (auto& v : bq.values<std::int32_t>())
    v = q(rng) * 10;
  Tensor bs(DType::kFloat32, {c_out});
  for (std::int64_t c = 0; c < c_out; ++c)
    bs.values<float>()[c] = x_scale * ws.values<float>()[c];
  g.initializers.emplace("wq", std::move(wq));
  g.initializers.emplace("ws", std::move(ws));
  g.initializers.emplace("wz", Tensor(DType::kInt8, {c_out}));
  g.initializers.emplace("bq", std::move(bq));
  g.initializers.emplace("bs", std::move(bs));
  g.initializers.emplace("bz", Tensor(DType::kInt32, {c_out}));
  g.initializers.emplace("xs", Tensor::scalar<float>(x_scale));
  if (k.int8_activations)
    g.initializers.emplace("xz", Tensor::scalar<std::int8_t>(static_cast<std::int8_t>(k.zero_point)));
  else
    g.initializers.emplace("xz", Tensor::scalar<std::uint8_t>(static_cast<std::uint8_t>(k.zero_point)));
  Node wdq = node("wdq", "DequantizeLinear", {"wq", "ws", "wz"}, {"w"});
  wdq.attrs.set("axis", std::int64_t{0});
  Node bdq = node("bdq", "DequantizeLinear", {"bq", "bs", "bz"}, {"b"});
  bdq.attrs.set("axis", std::int64_t{0});
  g.nodes.push_back(std::move(wdq));
  g.nodes.push_back(std::move(bdq));
  g.nodes.push_back(node("q", "QuantizeLinear", {"x", "xs", "xz"}, {"xq"}));
  g.nodes.push_back(node("dq", "DequantizeLinear", {"xq", "xs", "xz"}, {"xd"}));
  Node conv = node("conv", "Conv", {"xd", "w", "b"}, {"c"});
  conv.attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  g.nodes.push_back(std::move(conv));
  g.nodes.push_back(node("sig", "Sigmoid", {"c"}, {"s"}));
  g.nodes.push_back(node("mul", "Mul", {"c", "s"}, {k.residual ? "m" : "y"}));
  if (k.residual) g.nodes.push_back(node("add", "Add", {"m", "r"}, {"y"}));
  if (k.twins) {
    for (const char* twin : {"t1", "t2"}) {
      const std::string t = twin;
      g.outputs.push_back({t, DType::kFloat32, {}, false});
      g.nodes.push_back(node(t + "q", "QuantizeLinear", {"x", "xs", "xz"}, {t + "xq"}));
      g.nodes.push_back(node(t + "dq", "DequantizeLinear", {t + "xq", "xs", "xz"}, {t + "xd"}));
      Node c = node(t + "conv", "Conv", {t + "xd", "w", "b"}, {t});
      c.attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
      if (t == "t2") c.attrs.set("strides", std::vector<std::int64_t>{2, 2});
      g.nodes.push_back(std::move(c));
    }
  }
  return g;
}

class QConv : public testing::TestWithParam<Case> {};

TEST_P(QConv, Int8KernelMatchesTheQdqGraphOnTheReference) {
  const Case& k = GetParam();
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> dist(-1.0f, 3.0f);
  Tensor x(DType::kFloat32, {1, 16, 10, 10});
  for (float& v : x.values<float>())
    v = dist(rng);
  Tensor r(DType::kFloat32, {1, 24, 10, 10});
  for (float& v : r.values<float>())
    v = dist(rng);
  std::map<std::string, const Tensor*> feed{{"x", &x}};
  if (k.residual) feed["r"] = &r;

  SessionOptions ref_options;
  ref_options.backend = engine::Backend::kReference;
  Session ref = Session::from_graph(qdq_graph(k), ref_options);
  SessionOptions int8_options;
  int8_options.threads = 1;
  int8_options.precision = engine::Precision::kInt8;
  Session int8 = Session::from_graph(qdq_graph(k), int8_options);
  const auto& compiled = int8.compiled_graph().nodes;
  ASSERT_TRUE(std::any_of(compiled.begin(), compiled.end(), [](const Node& n) {
    return n.op_type == "QConv";
  })) << "the QDQ pattern was not folded into tilescope.QConv";

  const std::vector<Tensor> wants = ref.run(feed);
  const std::vector<Tensor> gots = int8.run(feed);
  ASSERT_EQ(gots.size(), wants.size());
  for (std::size_t o = 0; o < gots.size(); ++o) {
    const Tensor& want = wants[o];
    const Tensor& got = gots[o];
    ASSERT_EQ(got.shape(), want.shape());
    double max_err = 0, max_mag = 0;
    for (std::int64_t i = 0; i < got.size(); ++i) {
      max_err =
          std::max(max_err, static_cast<double>(std::fabs(got.values<float>()[i] - want.values<float>()[i])));
      max_mag = std::max(max_mag, static_cast<double>(std::fabs(want.values<float>()[i])));
    }
    // Integer accumulation is exact; what is left is float rounding of the
    // output scale, bias and SiLU (and a rare x / s tie rounded the other way).
    EXPECT_LT(max_err, 1e-4 * std::max(1.0, max_mag)) << k.name << " output " << o;
  }
}

INSTANTIATE_TEST_SUITE_P(Activations, QConv,
                         testing::Values(Case{"uint8_zp0", false, 0, false},
                                         Case{"uint8_zp60", false, 60, false},
                                         Case{"int8_zp0", true, 0, false},
                                         Case{"int8_zpm20", true, -20, true},
                                         Case{"uint8_zp60_residual", false, 60, true},
                                         Case{"uint8_zp60_twins", false, 60, false, true},
                                         Case{"int8_zpm20_twins", true, -20, false, true}),
                         [](const auto& info) { return std::string(info.param.name); });

} // namespace
} // namespace tilescope::quant
