// QuantizeLinear / DequantizeLinear on both backends, against values worked out
// by hand from the ONNX spec: per-tensor and per-axis, uint8 and int8, rounding
// half to even, saturation, int32 (bias) dequantization, and a Q -> DQ pair
// between two float ops as QDQ models have it (on onednn: arena -> fallback
// -> arena).
#include "tilescope/engine/session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tilescope::quant {
namespace {

using engine::Backend;
using engine::DType;
using engine::Graph;
using engine::Node;
using engine::Session;
using engine::SessionOptions;
using engine::Tensor;
using testing::HasSubstr;

Node node(const std::string& name, const std::string& op, std::vector<std::string> in,
          std::vector<std::string> out, std::optional<std::int64_t> axis = std::nullopt) {
  Node n;
  n.name = name;
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  if (axis) n.attrs.set("axis", *axis);
  return n;
}

engine::ValueInfo value(const std::string& name, DType dtype, std::vector<std::int64_t> dims) {
  engine::ValueInfo v{name, dtype, {}, true};
  for (std::int64_t d : dims)
    v.dims.push_back({d, ""});
  return v;
}

class QuantOps : public testing::TestWithParam<Backend> {
protected:
  std::vector<Tensor> run(Graph g, const Tensor& x) {
    SessionOptions options;
    options.backend = GetParam();
    options.threads = 1;
    Session s = Session::from_graph(std::move(g), options);
    return s.run(x);
  }
};

// x [2, 3] per-tensor: scale 0.5, zero point 128 (uint8).
TEST_P(QuantOps, QuantizePerTensorRoundsHalfToEvenAndSaturates) {
  Graph g;
  g.opset = 13;
  g.inputs.push_back(value("x", DType::kFloat32, {2, 4}));
  g.outputs.push_back(value("y", DType::kUInt8, {2, 4}));
  g.initializers.emplace("s", Tensor::scalar<float>(0.5f));
  g.initializers.emplace("zp", Tensor::scalar<std::uint8_t>(128));
  g.nodes.push_back(node("q", "QuantizeLinear", {"x", "s", "zp"}, {"y"}));
  // x / 0.5 = 0.5 -> 0 (even), 1.5 -> 2, -2.5 -> -2, 2.5 -> 2; 1000 and -1000 saturate.
  const Tensor x = Tensor::from<float>({2, 4}, {0.25f, 0.75f, -1.25f, 1.25f, 1000.f, -1000.f, 3.f, -64.f});
  const std::vector<Tensor> y = run(std::move(g), x);
  ASSERT_EQ(y[0].dtype(), DType::kUInt8);
  EXPECT_THAT(y[0].values<std::uint8_t>(), testing::ElementsAre(128, 130, 126, 130, 255, 0, 134, 0));
}

TEST_P(QuantOps, QuantizeWithoutZeroPointIsUint8) {
  Graph g;
  g.opset = 13;
  g.inputs.push_back(value("x", DType::kFloat32, {3}));
  g.outputs.push_back(value("y", DType::kUInt8, {3}));
  g.initializers.emplace("s", Tensor::scalar<float>(2.0f));
  g.nodes.push_back(node("q", "QuantizeLinear", {"x", "s"}, {"y"}));
  const std::vector<Tensor> y = run(std::move(g), Tensor::from<float>({3}, {-4.f, 5.f, 9.f}));
  ASSERT_EQ(y[0].dtype(), DType::kUInt8);
  EXPECT_THAT(y[0].values<std::uint8_t>(), testing::ElementsAre(0, 2, 4)); // 2.5 -> 2, 4.5 -> 4
}

// x [1, 2, 2] per axis 1 (int8): channel 0 scale 1, zp 0; channel 1 scale 0.1, zp -10.
TEST_P(QuantOps, QuantizeDequantizePerAxisInt8) {
  Graph g;
  g.opset = 13;
  g.inputs.push_back(value("x", DType::kFloat32, {1, 2, 2}));
  g.outputs.push_back(value("q", DType::kInt8, {1, 2, 2}));
  g.outputs.push_back(value("y", DType::kFloat32, {1, 2, 2}));
  g.initializers.emplace("s", Tensor::from<float>({2}, {1.0f, 0.1f}));
  g.initializers.emplace("zp", Tensor::from<std::int8_t>({2}, {0, -10}));
  g.nodes.push_back(node("quant", "QuantizeLinear", {"x", "s", "zp"}, {"q"}, 1));
  g.nodes.push_back(node("dequant", "DequantizeLinear", {"q", "s", "zp"}, {"y"}, 1));
  const std::vector<Tensor> out =
      run(std::move(g), Tensor::from<float>({1, 2, 2}, {-300.f, 2.4f, 1.0f, 20.f}));
  EXPECT_THAT(out[0].values<std::int8_t>(), testing::ElementsAre(-128, 2, 0, 127));
  EXPECT_THAT(out[1].values<float>(),
              testing::ElementsAre(-128.f, 2.f, testing::FloatEq(1.0f), testing::FloatEq(13.7f)));
}

TEST_P(QuantOps, DequantizeInt32BiasPerAxis0) {
  Graph g;
  g.opset = 13;
  g.inputs.push_back(value("x", DType::kFloat32, {2}));
  g.outputs.push_back(value("y", DType::kFloat32, {2}));
  g.initializers.emplace("b", Tensor::from<std::int32_t>({2}, {-70000, 3}));
  g.initializers.emplace("s", Tensor::from<float>({2}, {0.001f, 0.5f}));
  g.initializers.emplace("zp", Tensor::from<std::int32_t>({2}, {0, 0}));
  g.nodes.push_back(node("dq", "DequantizeLinear", {"b", "s", "zp"}, {"bias"}, 0));
  g.nodes.push_back(node("add", "Add", {"x", "bias"}, {"y"}));
  const std::vector<Tensor> y = run(std::move(g), Tensor::from<float>({2}, {1.f, 1.f}));
  EXPECT_THAT(y[0].values<float>(), testing::ElementsAre(testing::FloatEq(-69.f), testing::FloatEq(2.5f)));
}

// Relu -> Q -> DQ -> Relu: the pair sits between two ops that run on oneDNN.
TEST_P(QuantOps, QdqPairBetweenFloatOps) {
  Graph g;
  g.opset = 13;
  g.inputs.push_back(value("x", DType::kFloat32, {1, 2, 2, 2}));
  g.outputs.push_back(value("y", DType::kFloat32, {1, 2, 2, 2}));
  g.initializers.emplace("s", Tensor::scalar<float>(0.25f));
  g.initializers.emplace("zp", Tensor::scalar<std::uint8_t>(4));
  g.nodes.push_back(node("r1", "Relu", {"x"}, {"a"}));
  g.nodes.push_back(node("q", "QuantizeLinear", {"a", "s", "zp"}, {"aq"}));
  g.nodes.push_back(node("dq", "DequantizeLinear", {"aq", "s", "zp"}, {"ad"}));
  g.nodes.push_back(node("r2", "Sigmoid", {"ad"}, {"y"}));
  const Tensor x = Tensor::from<float>({1, 2, 2, 2}, {-1.f, 0.1f, 0.2f, 0.3f, 1.f, 10.f, 100.f, 62.f});
  const std::vector<Tensor> y = run(std::move(g), x);
  // Relu then quantize with scale 0.25: 0, 0 (0.4 -> 0), 1 (0.8), 1 (1.2), 4, 40, 251 (saturated), 248.
  const float want[] = {0.f, 0.f, 0.25f, 0.25f, 1.f, 10.f, 62.75f, 62.f};
  for (int i = 0; i < 8; ++i)
    EXPECT_NEAR(y[0].values<float>()[i], 1.0 / (1.0 + std::exp(-want[i])), 1e-6) << i;
}

TEST_P(QuantOps, PerAxisScaleOfTheWrongLengthFailsAtLoad) {
  Graph g;
  g.opset = 13;
  g.inputs.push_back(value("x", DType::kFloat32, {1, 3, 2}));
  g.outputs.push_back(value("y", DType::kUInt8, {1, 3, 2}));
  g.initializers.emplace("s", Tensor::from<float>({2}, {1.f, 1.f}));
  g.nodes.push_back(node("q", "QuantizeLinear", {"x", "s"}, {"y"}, 1));
  EXPECT_THAT(
      [&] {
        run(std::move(g), Tensor(DType::kFloat32, {1, 3, 2}));
      },
      testing::ThrowsMessage<Error>(HasSubstr("scale has 2 values but input dim 1 (axis) is 3")));
}

TEST_P(QuantOps, PerAxisBeforeOpset13FailsAtLoad) {
  Graph g;
  g.opset = 12;
  g.inputs.push_back(value("x", DType::kFloat32, {1, 2}));
  g.outputs.push_back(value("y", DType::kUInt8, {1, 2}));
  g.initializers.emplace("s", Tensor::from<float>({2}, {1.f, 1.f}));
  g.nodes.push_back(node("q", "QuantizeLinear", {"x", "s"}, {"y"}));
  EXPECT_THAT(
      [&] {
        run(std::move(g), Tensor(DType::kFloat32, {1, 2}));
      },
      testing::ThrowsMessage<Error>(HasSubstr("before opset 13 it must be a scalar")));
}

INSTANTIATE_TEST_SUITE_P(Backends, QuantOps, testing::Values(Backend::kReference, Backend::kOnednn),
                         [](const auto& info) { return std::string(engine::backend_name(info.param)); });

} // namespace
} // namespace tilescope::quant
