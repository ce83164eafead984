// Reference spatial ops (Conv, FusedConv, BatchNormalization, MaxPool,
// AveragePool, GlobalAveragePool, Resize, Upsample, Pad): hand-computed small
// cases, the load-time errors a user sees, and a differential check against
// PyTorch on random inputs (cases in data/spatial/, made by
// data/gen_spatial_cases.py; torch computed them in float64).
//
// Tolerances: hand-computed cases are exact where every value is a small
// integer or dyadic fraction (sums of such values are exact in float32), else
// 1e-6 relative (the double result rounded once to float32: <= 0.5 ulp = 6e-8
// relative, plus the hand value's own rounding). Against torch: the oracle
// ran in float64 and was rounded to float32 once, and so was ours; the two
// double results differ by ~1e-15 relative (summation order), so they round to
// the same or a neighbouring float32: allowed 2 ulp (2 * 2^-23 relative) plus
// 1e-6 absolute for values near zero. MaxPool picks input values, so it is exact.
#include "backends/reference/op_registry.h"
#include "backends/reference/ops/conv_attrs.h"
#include "backends/reference/ops/pool_attrs.h"
#include "tilescope/engine/npy.h"
#include "tilescope/engine/tensor.h"

#include <cmath>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tilescope::engine::reference {
namespace {

using ::testing::HasSubstr;
using Ints = std::vector<std::int64_t>;
using Floats = std::vector<float>;

// One node input: a tensor (absent when empty) and whether shape inference sees
// its value (a load-time constant) or only its type.
struct Input {
  Tensor tensor;
  bool constant = false;
};
Input data(Tensor t) { return {std::move(t), false}; }
Input constant(Tensor t) { return {std::move(t), true}; }
Input absent() { return {}; }
Input ints(const Ints& v) {
  return constant(Tensor::from<std::int64_t>({static_cast<std::int64_t>(v.size())}, v));
}
Input scales(const Floats& v) {
  return constant(Tensor::from<float>({static_cast<std::int64_t>(v.size())}, v));
}

Tensor f32(Shape shape, const Floats& v) { return Tensor::from<float>(std::move(shape), v); }
// 1, 2, 3, ... as float32 (exact).
Tensor count_up(Shape shape, float first = 1.0f) {
  Floats v(static_cast<std::size_t>(num_elements(shape)));
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = first + static_cast<float>(i);
  return f32(std::move(shape), v);
}

Node make_node(const std::string& op, std::size_t num_inputs, std::size_t num_outputs = 1) {
  Node node;
  node.name = "/test/" + op;
  node.op_type = op;
  if (op == "FusedConv") node.domain = "tilescope";
  for (std::size_t i = 0; i < num_inputs; ++i)
    node.inputs.push_back("in" + std::to_string(i));
  for (std::size_t i = 0; i < num_outputs; ++i)
    node.outputs.push_back("out" + std::to_string(i));
  return node;
}

template <class... Attr> Node with(Node node, Attr&&... attrs) {
  (node.attrs.set(attrs.first, std::move(attrs.second)), ...);
  return node;
}
std::pair<std::string, AttrValue> attr(const std::string& name, std::int64_t v) { return {name, v}; }
std::pair<std::string, AttrValue> attr(const std::string& name, float v) { return {name, v}; }
std::pair<std::string, AttrValue> attr(const std::string& name, const char* v) {
  return {name, std::string(v)};
}
std::pair<std::string, AttrValue> attr(const std::string& name, Ints v) { return {name, std::move(v)}; }
std::pair<std::string, AttrValue> attr(const std::string& name, Floats v) { return {name, std::move(v)}; }

// Shape inference then the kernel, as a session runs them; absent inputs get an
// empty name in (a copy of) the node.
std::vector<Tensor> run_inputs(const Node& original, std::int64_t opset, std::vector<Input> inputs) {
  Node node{original.name,
            original.op_type,
            original.domain,
            original.inputs,
            original.outputs,
            original.attrs.clone(),
            {}};
  const OpDef* def = OpRegistry::instance().find(node.domain, node.op_type);
  if (def == nullptr) throw Error("op " + node.op_type + " is not registered");
  node.inputs.resize(inputs.size());
  std::vector<ValueType> types(inputs.size());
  std::vector<const ValueType*> type_ptrs;
  std::vector<const Tensor*> constants;
  std::vector<const Tensor*> kernel_inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const bool present = !inputs[i].tensor.empty();
    if (!present) node.inputs[i].clear();
    types[i] = {inputs[i].tensor.dtype(), inputs[i].tensor.shape()};
    type_ptrs.push_back(present ? &types[i] : nullptr);
    constants.push_back(present && inputs[i].constant ? &inputs[i].tensor : nullptr);
    kernel_inputs.push_back(present ? &inputs[i].tensor : nullptr);
  }
  InferContext ictx(node, opset, type_ptrs, constants);
  def->infer(ictx);
  std::vector<Tensor> outputs;
  for (std::size_t i = 0; i < node.outputs.size(); ++i) {
    const ValueType& t = ictx.outputs()[i];
    if (node.outputs[i].empty()) {
      outputs.emplace_back(DType::kFloat32, Shape{0}); // as the executor does for unused outputs
    } else {
      outputs.emplace_back(t.dtype, t.shape);
    }
  }
  std::vector<Tensor*> out_ptrs;
  for (Tensor& t : outputs)
    out_ptrs.push_back(&t);
  def->run(KernelContext{node, opset, kernel_inputs, out_ptrs});
  return outputs;
}

// Tensor is move-only, which an initializer list cannot hold: inputs go by argument.
template <class... In> std::vector<Tensor> run_node(const Node& node, std::int64_t opset, In... in) {
  std::vector<Input> inputs;
  (inputs.push_back(std::move(in)), ...);
  return run_inputs(node, opset, std::move(inputs));
}
template <class... In> Tensor run1(const Node& node, std::int64_t opset, In... in) {
  return std::move(run_node(node, opset, std::move(in)...).at(0));
}
// The message of the Error that running the node throws ("" when it succeeds).
template <class... In> std::string error_of(const Node& node, std::int64_t opset, In... in) {
  try {
    run_node(node, opset, std::move(in)...);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::vector<double> values_of(const Tensor& t) {
  std::vector<double> v;
  for (std::int64_t i = 0; i < t.size(); ++i)
    v.push_back(t.get_as_double(i));
  return v;
}

// Exact comparison (see the tolerance note at the top).
void expect_values(const Tensor& t, const Shape& shape, const std::vector<double>& want) {
  ASSERT_EQ(t.shape(), shape);
  EXPECT_THAT(values_of(t), ::testing::ElementsAreArray(want));
}
void expect_near(const Tensor& t, const Shape& shape, const std::vector<double>& want, double rel = 1e-6) {
  ASSERT_EQ(t.shape(), shape);
  const std::vector<double> got = values_of(t);
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], rel * std::max(1.0, std::abs(want[i]))) << "element " << i;
  }
}

// ------------------------------------------------------------------ Conv

// ONNX's Conv example: 5x5 input 0..24, 3x3 kernel of ones.
const std::vector<double> kOnnxConvPadded = {12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                                             117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84};

TEST(ReferenceConv, OnnxExampleWithAndWithoutPadding) {
  const Node conv =
      with(make_node("Conv", 2), attr("kernel_shape", Ints{3, 3}), attr("pads", Ints{1, 1, 1, 1}));
  Tensor ones = f32({1, 1, 3, 3}, Floats(9, 1.0f));
  expect_values(run1(conv, 11, data(count_up({1, 1, 5, 5}, 0)), constant(std::move(ones))), {1, 1, 5, 5},
                kOnnxConvPadded);
  const Node valid = make_node("Conv", 2);
  expect_values(
      run1(valid, 11, data(count_up({1, 1, 5, 5}, 0)), constant(f32({1, 1, 3, 3}, Floats(9, 1.0f)))),
      {1, 1, 3, 3}, {54, 63, 72, 99, 108, 117, 144, 153, 162});
}

// 1-D, x = [1 2 3 4], w = [1 1 1], stride 2: total padding 1 goes to the end
// (SAME_UPPER: windows [1 2 3], [3 4 0]) or the beginning (SAME_LOWER: [0 1 2], [2 3 4]).
TEST(ReferenceConv, SameUpperAndSameLowerPlaceTheOddPad) {
  for (const auto& [mode, want] : {std::pair{"SAME_UPPER", std::vector<double>{6, 7}},
                                   std::pair{"SAME_LOWER", std::vector<double>{3, 9}}}) {
    const Node conv = with(make_node("Conv", 2), attr("auto_pad", mode), attr("strides", Ints{2}));
    SCOPED_TRACE(mode);
    expect_values(run1(conv, 11, data(count_up({1, 1, 4})), constant(f32({1, 1, 3}, {1, 1, 1}))), {1, 1, 2},
                  want);
  }
}

// y[i] = x[i] + 10 x[i + 2] (dilation 2), plus bias 0.5.
TEST(ReferenceConv, Dilated1dWithBias) {
  const Node conv = with(make_node("Conv", 3), attr("dilations", Ints{2}));
  expect_values(run1(conv, 11, data(count_up({1, 1, 6})), constant(f32({1, 1, 2}, {1, 10})),
                     constant(f32({1}, {0.5f}))),
                {1, 1, 4}, {31.5, 42.5, 53.5, 64.5});
}

// Depthwise (group = C = 2): channel 0 of x (1..4) times 2, channel 1 (5..8) times -1.
TEST(ReferenceConv, DepthwiseGroups) {
  const Node conv = with(make_node("Conv", 3), attr("group", std::int64_t{2}));
  expect_values(run1(conv, 11, data(count_up({1, 2, 2, 2})), constant(f32({2, 1, 1, 1}, {2, -1})),
                     constant(f32({2}, {0, 100}))),
                {1, 2, 2, 2}, {2, 4, 6, 8, 95, 94, 93, 92});
}

TEST(ReferenceConv, ThreeDimensionalSumsTheCube) {
  const Node conv = make_node("Conv", 2);
  expect_values(
      run1(conv, 11, data(count_up({1, 1, 2, 2, 2})), constant(f32({1, 1, 2, 2, 2}, Floats(8, 1.0f)))),
      {1, 1, 1, 1, 1}, {36});
}

TEST(ReferenceConv, Float64IsComputedAndStoredAsFloat64) {
  const double third = 1.0 / 3.0;
  Tensor x = Tensor::from<double>({1, 1, 1, 1}, {third});
  Tensor w = Tensor::from<double>({1, 1, 1, 1}, {3.0});
  Tensor y = run1(make_node("Conv", 2), 11, data(std::move(x)), constant(std::move(w)));
  ASSERT_EQ(y.dtype(), DType::kFloat64);
  EXPECT_EQ(y.data<double>()[0], third * 3.0);
}

TEST(ReferenceConv, LoadTimeErrorsNameTheNodeAndValue) {
  auto x = [] { return data(count_up({1, 4, 5, 5})); };
  auto w = [](Shape s) { return constant(Tensor(DType::kFloat32, std::move(s))); };
  EXPECT_THAT(error_of(with(make_node("Conv", 2), attr("auto_pad", "SAME")), 11, x(), w({2, 4, 3, 3})),
              HasSubstr("node /test/Conv (Conv): attribute 'auto_pad' value 'SAME' is not supported"));
  EXPECT_THAT(error_of(with(make_node("Conv", 2), attr("group", std::int64_t{3})), 11, x(), w({3, 1, 3, 3})),
              HasSubstr("attribute 'group' 3 must divide input channels 4"));
  EXPECT_THAT(error_of(make_node("Conv", 2), 11, x(), w({2, 3, 3, 3})), HasSubstr("need dim 1 = C / group"));
  EXPECT_THAT(
      error_of(with(make_node("Conv", 2), attr("kernel_shape", Ints{5, 5})), 11, x(), w({2, 4, 3, 3})),
      HasSubstr("attribute 'kernel_shape' [5,5] does not match weights W [2,4,3,3]"));
  EXPECT_THAT(error_of(with(make_node("Conv", 2), attr("strides", Ints{1})), 11, x(), w({2, 4, 3, 3})),
              HasSubstr("attribute 'strides' [1] has 1 values, expected 2"));
  EXPECT_THAT(error_of(make_node("Conv", 2), 11, x(), w({2, 4, 7, 7})), HasSubstr("output would be empty"));
  EXPECT_THAT(
      error_of(make_node("Conv", 3), 11, x(), w({2, 4, 3, 3}), constant(Tensor(DType::kFloat32, {3}))),
      HasSubstr("bias B has shape [3], expected [2]"));
  EXPECT_THAT(error_of(make_node("Conv", 2), 11, data(Tensor(DType::kInt64, {1, 4, 5, 5})), w({2, 4, 3, 3})),
              HasSubstr("has element type int64"));
  // A wrongly typed attribute also names the node.
  EXPECT_THAT(
      error_of(with(make_node("Conv", 2), attr("strides", std::int64_t{2})), 11, x(), w({2, 4, 3, 3})),
      HasSubstr("node /test/Conv (Conv): attribute 'strides' is not of type ints"));
}

TEST(ConvAttrs, ResolvesSamePadsForTheOnednnBackend) {
  const Node conv = with(make_node("Conv", 2), attr("auto_pad", "SAME_LOWER"), attr("strides", Ints{2, 1}));
  const ConvAttrs a = parse_conv_attrs(conv, {1, 8, 4, 5}, {16, 8, 3, 4});
  EXPECT_EQ(a.output_shape(), (Shape{1, 16, 2, 5}));
  EXPECT_EQ(a.pads_begin, (Ints{1, 2})); // totals 1 and 3, odd element first
  EXPECT_EQ(a.pads_end, (Ints{0, 1}));
  EXPECT_EQ(a.group, 1);
}

// ------------------------------------------------------------------ FusedConv

// conv(x, 1) + 0.5 = [-1.5, 0.5, 3.5]; activation; + Sum [10, 20, 30]. Expected
// activation values from Python's math module.
TEST(ReferenceFusedConv, EveryActivationThenSum) {
  struct Case {
    const char* activation;
    float alpha, beta;
    std::vector<double> act;
  };
  const Case cases[] = {
      {"none", 0, 0, {-1.5, 0.5, 3.5}},
      {"relu", 0, 0, {0, 0.5, 3.5}},
      {"leaky_relu", 0.1f, 0, {-0.15, 0.5, 3.5}},
      {"sigmoid", 0, 0, {0.18242552380635635, 0.6224593312018546, 0.9706877692486436}},
      {"hard_sigmoid", 0.2f, 0.5f, {0.2, 0.6, 1.0}},
      {"hard_swish", 0, 0, {-0.375, 0.2916666666666667, 3.5}},
      {"silu", 0, 0, {-0.2736382857095345, 0.3112296656009273, 3.397407192370253}},
      {"clip", -1.0f, 1.0f, {-1, 0.5, 1}},
      {"tanh", 0, 0, {-0.9051482536448664, 0.46211715726000974, 0.9981778976111987}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.activation);
    const Node node = with(make_node("FusedConv", 4), attr("activation", c.activation),
                           attr("alpha", c.alpha), attr("beta", c.beta));
    Tensor y = run1(node, 13, data(f32({1, 1, 1, 3}, {-2, 0, 3})), constant(f32({1, 1, 1, 1}, {1})),
                    constant(f32({1}, {0.5f})), data(f32({1, 1, 1, 3}, {10, 20, 30})));
    // 1e-6 relative of values up to 33: float32 rounding plus alpha's (0.1f).
    expect_near(y, {1, 1, 1, 3}, {c.act[0] + 10, c.act[1] + 20, c.act[2] + 30});
  }
}

TEST(ReferenceFusedConv, DefaultsAndErrors) {
  // leaky_relu without alpha: ONNX's default slope 0.01.
  const Node leaky = with(make_node("FusedConv", 2), attr("activation", "leaky_relu"));
  expect_near(run1(leaky, 13, data(f32({1, 1, 1, 1}, {-2})), constant(f32({1, 1, 1, 1}, {1}))), {1, 1, 1, 1},
              {-0.02});
  const FusedConvAttrs clip = parse_fused_conv_attrs(
      with(make_node("FusedConv", 2), attr("activation", "clip")), {1, 1, 2, 2}, {1, 1, 1, 1});
  EXPECT_EQ(clip.activation, Activation::kClip);
  EXPECT_TRUE(std::isinf(clip.alpha) && clip.alpha < 0 && std::isinf(clip.beta));
  EXPECT_THAT(
      error_of(with(make_node("FusedConv", 2), attr("activation", "gelu")), 13, data(f32({1, 1, 1, 1}, {1})),
               constant(f32({1, 1, 1, 1}, {1}))),
      HasSubstr("node /test/FusedConv (FusedConv): attribute 'activation' value 'gelu' is not supported"));
  EXPECT_THAT(error_of(make_node("FusedConv", 4), 13, data(f32({1, 1, 1, 2}, {1, 2})),
                       constant(f32({1, 1, 1, 1}, {1})), absent(), data(f32({1, 1, 2, 1}, {1, 2}))),
              HasSubstr("input Sum is float32 [1,1,2,1], expected the output's float32 [1,1,1,2]"));
}

// ------------------------------------------------------------------ BatchNormalization

// ONNX's BatchNormalization example.
TEST(ReferenceBatchNormalization, OnnxExample) {
  const Node bn = make_node("BatchNormalization", 5);
  Tensor y = run1(bn, 15, data(f32({1, 2, 1, 3}, {-1, 0, 1, 2, 3, 4})), constant(f32({2}, {1.0f, 1.5f})),
                  constant(f32({2}, {0, 1})), constant(f32({2}, {0, 3})), constant(f32({2}, {1, 1.5f})));
  expect_near(y, {1, 2, 1, 3}, {-0.999995, 0, 0.999995, -0.22474074, 1, 2.2247407});
}

TEST(ReferenceBatchNormalization, RejectsTraining) {
  auto run = [](const Node& n) {
    return error_of(n, 15, data(f32({1, 1, 1, 1}, {1})), constant(f32({1}, {1})), constant(f32({1}, {0})),
                    constant(f32({1}, {0})), constant(f32({1}, {1})));
  };
  EXPECT_THAT(run(with(make_node("BatchNormalization", 5), attr("training_mode", std::int64_t{1}))),
              HasSubstr("attribute 'training_mode' value 1 is not supported"));
  EXPECT_THAT(run(make_node("BatchNormalization", 5, 3)),
              HasSubstr("output 1 ('out1') is a training statistic"));
  EXPECT_THAT(run(with(make_node("BatchNormalization", 5), attr("spatial", std::int64_t{0}))),
              HasSubstr("attribute 'spatial' value 0 is not supported"));
}

// ------------------------------------------------------------------ pooling

// ONNX's examples: x = 1..16 (4x4).
TEST(ReferenceMaxPool, CeilModeAndDilations) {
  const Node ceil = with(make_node("MaxPool", 1), attr("kernel_shape", Ints{3, 3}),
                         attr("strides", Ints{2, 2}), attr("ceil_mode", std::int64_t{1}));
  expect_values(run1(ceil, 12, data(count_up({1, 1, 4, 4}))), {1, 1, 2, 2}, {11, 12, 15, 16});
  const Node dilated =
      with(make_node("MaxPool", 1), attr("kernel_shape", Ints{2, 2}), attr("dilations", Ints{2, 2}));
  expect_values(run1(dilated, 12, data(count_up({1, 1, 4, 4}))), {1, 1, 2, 2}, {11, 12, 15, 16});
}

// in 4, kernel 2, stride 3, pads 1+1: ceil gives 3 windows, but the third would
// start at 6 >= in + pad_begin = 5 (wholly in the end padding), so it is dropped.
TEST(ReferenceMaxPool, CeilModeDropsAWindowStartingInThePadding) {
  const Node pool = with(make_node("MaxPool", 1), attr("kernel_shape", Ints{2}), attr("strides", Ints{3}),
                         attr("pads", Ints{1, 1}), attr("ceil_mode", std::int64_t{1}));
  expect_values(run1(pool, 12, data(count_up({1, 1, 4}))), {1, 1, 2}, {1, 4});
}

// ONNX's maxpool_with_argmax examples: x = 1..25 (5x5).
TEST(ReferenceMaxPool, IndicesRowAndColumnMajor) {
  const Node pads =
      with(make_node("MaxPool", 1, 2), attr("kernel_shape", Ints{5, 5}), attr("pads", Ints{2, 2, 2, 2}));
  std::vector<Tensor> out = run_node(pads, 12, data(count_up({1, 1, 5, 5})));
  expect_values(out[0], {1, 1, 5, 5}, {13, 14, 15, 15, 15, 18, 19, 20, 20, 20, 23, 24, 25,
                                       25, 25, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25});
  ASSERT_EQ(out[1].dtype(), DType::kInt64);
  expect_values(out[1], {1, 1, 5, 5}, {12, 13, 14, 14, 14, 17, 18, 19, 19, 19, 22, 23, 24,
                                       24, 24, 22, 23, 24, 24, 24, 22, 23, 24, 24, 24});
  const Node columns = with(make_node("MaxPool", 1, 2), attr("kernel_shape", Ints{2, 2}),
                            attr("strides", Ints{2, 2}), attr("storage_order", std::int64_t{1}));
  out = run_node(columns, 12, data(count_up({1, 1, 5, 5})));
  expect_values(out[0], {1, 1, 2, 2}, {7, 9, 17, 19});
  expect_values(out[1], {1, 1, 2, 2}, {6, 16, 8, 18});
}

TEST(ReferenceMaxPool, Uint8AndNaN) {
  Tensor x(DType::kUInt8, {1, 1, 1, 3});
  x.data<std::uint8_t>()[0] = 200;
  x.data<std::uint8_t>()[1] = 7;
  x.data<std::uint8_t>()[2] = 255;
  const Node pool = with(make_node("MaxPool", 1), attr("kernel_shape", Ints{1, 2}));
  Tensor y = run1(pool, 12, data(std::move(x)));
  ASSERT_EQ(y.dtype(), DType::kUInt8);
  expect_values(y, {1, 1, 1, 2}, {200, 255});
  Tensor with_nan = run1(pool, 12, data(f32({1, 1, 1, 3}, {1, std::nanf(""), 0})));
  EXPECT_TRUE(std::isnan(with_nan.data<float>()[0]) && std::isnan(with_nan.data<float>()[1]));
}

TEST(ReferenceMaxPool, Errors) {
  EXPECT_THAT(error_of(make_node("MaxPool", 1), 12, data(count_up({1, 1, 4, 4}))),
              HasSubstr("required attribute 'kernel_shape' is missing"));
  EXPECT_THAT(error_of(with(make_node("MaxPool", 1), attr("kernel_shape", Ints{2, 2}),
                            attr("storage_order", std::int64_t{2})),
                       12, data(count_up({1, 1, 4, 4}))),
              HasSubstr("attribute 'storage_order' value 2 must be 0 or 1"));
  EXPECT_THAT(error_of(with(make_node("MaxPool", 1), attr("kernel_shape", Ints{2, 2}),
                            attr("pads", Ints{1, -1, 0, 0})),
                       12, data(count_up({1, 1, 4, 4}))),
              HasSubstr("attribute 'pads' [1,-1,0,0] must not be negative"));
}

// x = [1 2 3 4], kernel 3, pads 1+1: windows [p 1 2] [1 2 3] [2 3 4] [3 4 p].
TEST(ReferenceAveragePool, CountIncludePad) {
  auto pool = [](std::int64_t include) {
    return with(make_node("AveragePool", 1), attr("kernel_shape", Ints{3}), attr("pads", Ints{1, 1}),
                attr("count_include_pad", include));
  };
  expect_near(run1(pool(0), 11, data(count_up({1, 1, 4}))), {1, 1, 4}, {1.5, 2, 3, 3.5});
  expect_near(run1(pool(1), 11, data(count_up({1, 1, 4}))), {1, 1, 4}, {1, 2, 3, 7.0 / 3});
}

// x = [1 2 3 4 5], kernel 2, stride 2, ceil: windows [1 2] [3 4] [5 (past the end)].
// With pads 1+1 on [1 2 3 4]: [p 1] [2 3] [4 p], the pad counted only when included.
TEST(ReferenceAveragePool, CeilModeAndPads) {
  const Node ceil = with(make_node("AveragePool", 1), attr("kernel_shape", Ints{2}), attr("strides", Ints{2}),
                         attr("ceil_mode", std::int64_t{1}), attr("count_include_pad", std::int64_t{1}));
  expect_values(run1(ceil, 11, data(count_up({1, 1, 5}))), {1, 1, 3}, {1.5, 3.5, 5});
  for (std::int64_t include : {0, 1}) {
    const Node padded =
        with(make_node("AveragePool", 1), attr("kernel_shape", Ints{2}), attr("strides", Ints{2}),
             attr("pads", Ints{1, 1}), attr("count_include_pad", include));
    expect_values(run1(padded, 11, data(count_up({1, 1, 4}))), {1, 1, 3},
                  include == 1 ? std::vector<double>{0.5, 2.5, 2} : std::vector<double>{1, 2.5, 4});
  }
}

TEST(ReferenceGlobalAveragePool, MeanPerChannel) {
  expect_values(run1(make_node("GlobalAveragePool", 1), 1, data(count_up({2, 2, 2, 2}))), {2, 2, 1, 1},
                {2.5, 6.5, 10.5, 14.5});
}

TEST(PoolAttrs, AutoPadAndOutputShape) {
  const Node pool = with(make_node("MaxPool", 1), attr("kernel_shape", Ints{3, 3}),
                         attr("strides", Ints{2, 2}), attr("auto_pad", "SAME_UPPER"));
  const PoolAttrs a = parse_pool_attrs(pool, {2, 3, 5, 6});
  EXPECT_EQ(a.output_shape(), (Shape{2, 3, 3, 3}));
  EXPECT_EQ(a.pads_begin, (Ints{1, 0}));
  EXPECT_EQ(a.pads_end, (Ints{1, 1}));
}

// ------------------------------------------------------------------ Resize / Upsample

Node resize(const char* mode, const char* coordinates = "half_pixel") {
  return with(make_node("Resize", 4), attr("mode", mode),
              attr("coordinate_transformation_mode", coordinates));
}

// ONNX's Resize examples on [[1 2] [3 4]] and [[1 2 3 4] [5 6 7 8]].
TEST(ReferenceResize, OnnxExamples) {
  expect_values(run1(resize("nearest"), 13, data(count_up({1, 1, 2, 2})), absent(), scales({1, 1, 2, 3})),
                {1, 1, 4, 6}, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
  expect_values(run1(resize("linear"), 13, data(count_up({1, 1, 2, 2})), absent(), scales({1, 1, 2, 2})),
                {1, 1, 4, 4},
                {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4});
  expect_near(run1(resize("linear", "align_corners"), 13, data(count_up({1, 1, 2, 2})), absent(),
                   scales({1, 1, 2, 2})),
              {1, 1, 4, 4},
              {1, 4.0 / 3, 5.0 / 3, 2, 5.0 / 3, 2, 7.0 / 3, 8.0 / 3, 7.0 / 3, 8.0 / 3, 3, 10.0 / 3, 3,
               10.0 / 3, 11.0 / 3, 4});
  // Downsampling by 0.6: align_corners divides by the unrounded length 4 * 0.6 = 2.4.
  expect_near(run1(resize("linear"), 13, data(count_up({1, 1, 2, 4})), absent(), scales({1, 1, 0.6f, 0.6f})),
              {1, 1, 1, 2}, {2.6666665, 4.333333});
  expect_near(run1(resize("linear", "align_corners"), 13, data(count_up({1, 1, 2, 4})), absent(),
                   scales({1, 1, 0.6f, 0.6f})),
              {1, 1, 1, 2}, {1, 1 + 3 / 1.4});
  expect_values(
      run1(resize("nearest"), 13, data(count_up({1, 1, 2, 4})), absent(), scales({1, 1, 0.6f, 0.6f})),
      {1, 1, 1, 2}, {1, 3});
}

// ONNX's half_pixel_symmetric example (opset 19): [1 2 3 4] scaled by 0.6 to 2
// elements samples 0.6667 and 2.3333 (offset 2 * (1 - 2 / 2.4) = 1/3).
TEST(ReferenceResize, HalfPixelSymmetric) {
  expect_near(run1(resize("linear", "half_pixel_symmetric"), 19, data(count_up({1, 1, 1, 4})), absent(),
                   scales({1, 1, 1, 0.6f})),
              {1, 1, 1, 2}, {5.0 / 3, 10.0 / 3});
}

TEST(ReferenceResize, CubicMatchesOnnxTestData) {
  // test_resize_upsample_scales_cubic, first row (A = -0.75, half_pixel).
  Tensor up = run1(resize("cubic"), 13, data(count_up({1, 1, 4, 4})), absent(), scales({1, 1, 2, 2}));
  ASSERT_EQ(up.shape(), (Shape{1, 1, 8, 8}));
  const std::vector<double> row0 = {0.47265625, 0.76953125, 1.24609375, 1.875,
                                    2.28125,    2.91015625, 3.38671875, 3.68359375};
  for (std::size_t i = 0; i < row0.size(); ++i)
    EXPECT_NEAR(up.get_as_double(static_cast<std::int64_t>(i)), row0[i], 1e-6);
  // test_resize_downsample_scales_cubic_A_n0p5_exclude_outside.
  const Node excl =
      with(resize("cubic"), attr("cubic_coeff_a", -0.5f), attr("exclude_outside", std::int64_t{1}));
  expect_near(run1(excl, 13, data(count_up({1, 1, 4, 4})), absent(), scales({1, 1, 0.8f, 0.8f})),
              {1, 1, 3, 3},
              {1.3681267499923706, 2.669501304626465, 4.013336658477783, 6.573625087738037, 7.875,
               9.21883487701416, 11.948966026306152, 13.250341415405273, 14.594176292419434});
}

// [10 20] to 4 elements, asymmetric: source coordinates 0, 0.5, 1, 1.5 (clamped to 1).
TEST(ReferenceResize, NearestModesAtHalfway) {
  const std::pair<const char*, std::vector<double>> cases[] = {
      {"round_prefer_floor", {10, 10, 20, 20}},
      {"round_prefer_ceil", {10, 20, 20, 20}},
      {"floor", {10, 10, 20, 20}},
      {"ceil", {10, 20, 20, 20}},
  };
  for (const auto& [mode, want] : cases) {
    SCOPED_TRACE(mode);
    const Node node = with(resize("nearest", "asymmetric"), attr("nearest_mode", mode));
    expect_values(run1(node, 13, data(f32({1, 2}, {10, 20})), absent(), absent(), ints({1, 4})), {1, 4},
                  want);
  }
}

// test_resize_tf_crop_and_resize: x = 1..16 (4x4), sizes 3x3, extrapolation_value 10.
TEST(ReferenceResize, TfCropAndResizeExtrapolates) {
  const Node node = with(resize("linear", "tf_crop_and_resize"), attr("extrapolation_value", 10.0f));
  Tensor roi = f32({8}, {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f});
  expect_near(
      run1(node, 13, data(count_up({1, 1, 4, 4})), constant(std::move(roi)), absent(), ints({1, 1, 3, 3})),
      {1, 1, 3, 3}, {7.6000004, 10, 10, 12.400001, 10, 10, 10, 10, 10});
}

TEST(ReferenceResize, AxesAttributeOfOpset18) {
  const Node node = with(resize("nearest"), attr("axes", Ints{-1}));
  expect_values(run1(node, 18, data(count_up({1, 2, 2})), absent(), absent(), ints({4})), {1, 2, 4},
                {1, 1, 2, 2, 3, 3, 4, 4});
}

// Resize-10 and Upsample: asymmetric coordinates; nearest truncates when
// upsampling and rounds up when downsampling (ONNX Runtime's rule).
TEST(ReferenceResize, Opset10AndUpsample) {
  const Node linear = with(make_node("Resize", 2), attr("mode", "linear"));
  const std::vector<double> asymmetric = {1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4};
  expect_values(run1(linear, 10, data(count_up({1, 1, 2, 2})), scales({1, 1, 2, 2})), {1, 1, 4, 4},
                asymmetric);
  const Node nearest = make_node("Resize", 2);
  expect_values(run1(nearest, 10, data(count_up({1, 4})), scales({1, 0.75f})), {1, 3}, {1, 3, 4});

  const Node up9 = with(make_node("Upsample", 2), attr("mode", "nearest"));
  expect_values(run1(up9, 9, data(count_up({1, 1, 2, 2})), scales({1, 1, 2, 3})), {1, 1, 4, 6},
                {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
  const Node up7 = with(make_node("Upsample", 1), attr("mode", "linear"), attr("scales", Floats{1, 1, 2, 2}));
  expect_values(run1(up7, 7, data(count_up({1, 1, 2, 2}))), {1, 1, 4, 4}, asymmetric);
}

TEST(ReferenceResize, UnsupportedValuesFailAtLoad) {
  auto x = [] { return data(count_up({1, 1, 2, 2})); };
  EXPECT_THAT(error_of(with(resize("linear"), attr("antialias", std::int64_t{1})), 18, x(), absent(),
                       scales({1, 1, 2, 2})),
              HasSubstr("node /test/Resize (Resize): attribute 'antialias' value 1 is not supported"));
  EXPECT_THAT(error_of(with(resize("nearest"), attr("keep_aspect_ratio_policy", "not_larger")), 18, x(),
                       absent(), absent(), ints({1, 1, 4, 4})),
              HasSubstr("attribute 'keep_aspect_ratio_policy' value 'not_larger' is not supported"));
  EXPECT_THAT(error_of(resize("area"), 13, x(), absent(), scales({1, 1, 2, 2})),
              HasSubstr("attribute 'mode' value 'area' is not supported"));
  EXPECT_THAT(error_of(with(resize("linear"), attr("exclude_outside", std::int64_t{1})), 13, x(), absent(),
                       scales({1, 1, 2, 2})),
              HasSubstr("'exclude_outside' value 1 is only supported with mode 'cubic'"));
  EXPECT_THAT(error_of(with(make_node("Resize", 2), attr("mode", "cubic")), 10, x(), scales({1, 1, 2, 2})),
              HasSubstr("attribute 'mode' value 'cubic' is not supported (nearest, linear)"));
  EXPECT_THAT(
      error_of(resize("nearest", "tf_crop_and_resize"), 13, x(), absent(), absent(), ints({1, 1, 4, 4})),
      HasSubstr("needs input 'roi'"));
  EXPECT_THAT(error_of(resize("nearest"), 13, x(), absent(), scales({1, 1, 2, 2}), ints({1, 1, 4, 4})),
              HasSubstr("inputs 'scales' and 'sizes' are both given"));
  EXPECT_THAT(error_of(resize("nearest"), 13, x(), absent(), data(f32({4}, {1, 1, 2, 2}))),
              HasSubstr("must be known at load time"));
  EXPECT_THAT(error_of(resize("nearest"), 13, x(), absent(), scales({1, 2, 2})),
              HasSubstr("input 'scales' has 3 values, expected 4"));
  EXPECT_THAT(
      error_of(with(make_node("Upsample", 1), attr("mode", "cubic"), attr("scales", Floats{1, 1, 2, 2})), 7,
               x()),
      HasSubstr("attribute 'mode' value 'cubic' is not supported"));
}

// ------------------------------------------------------------------ Pad

// x = [[1 2 3] [4 5 6]], pads: 2 before and 1 after the columns.
TEST(ReferencePad, Modes) {
  const std::pair<const char*, std::vector<double>> cases[] = {
      {"constant", {9, 9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9}},
      {"edge", {1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6}},
      {"reflect", {3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5}},
      {"wrap", {2, 3, 1, 2, 3, 1, 5, 6, 4, 5, 6, 4}},
  };
  for (const auto& [mode, want] : cases) {
    SCOPED_TRACE(mode);
    const Node pad = with(make_node("Pad", 3), attr("mode", mode));
    expect_values(run1(pad, 19, data(count_up({2, 3})), ints({0, 2, 0, 1}), data(f32({}, {9}))), {2, 6},
                  want);
  }
}

TEST(ReferencePad, ReflectPastTheDimNegativePadsAndInts) {
  // numpy.pad([1, 2, 3], (5, 0), 'reflect') = [2 1 2 3 2 1 2 3].
  const Node reflect = with(make_node("Pad", 2), attr("mode", "reflect"));
  expect_values(run1(reflect, 13, data(count_up({3})), ints({5, 0})), {8}, {2, 1, 2, 3, 2, 1, 2, 3});
  // Negative pads crop: drop the first column, add one zero column at the end.
  expect_values(run1(make_node("Pad", 2), 13, data(count_up({2, 3})), ints({0, -1, 0, 1})), {2, 3},
                {2, 3, 0, 5, 6, 0});
  Tensor x(DType::kInt32, {1, 2});
  x.data<std::int32_t>()[0] = -7;
  x.data<std::int32_t>()[1] = 8;
  Tensor y =
      run1(with(make_node("Pad", 2), attr("mode", "edge")), 13, data(std::move(x)), ints({0, 1, 0, 2}));
  ASSERT_EQ(y.dtype(), DType::kInt32);
  expect_values(y, {1, 5}, {-7, -7, 8, 8, 8});
}

TEST(ReferencePad, AttributeFormAndAxesInput) {
  const Node old = with(make_node("Pad", 1), attr("pads", Ints{1, 0, 0, 0}), attr("value", 7.0f));
  expect_values(run1(old, 2, data(count_up({2, 3}))), {3, 3}, {7, 7, 7, 1, 2, 3, 4, 5, 6});
  const Node axes = with(make_node("Pad", 4), attr("mode", "edge"));
  expect_values(run1(axes, 18, data(count_up({2, 3})), ints({1, 1}), absent(), ints({-1})), {2, 5},
                {1, 1, 2, 3, 3, 4, 4, 5, 6, 6});
}

TEST(ReferencePad, Errors) {
  EXPECT_THAT(
      error_of(with(make_node("Pad", 2), attr("mode", "symmetric")), 13, data(count_up({2})), ints({1, 1})),
      HasSubstr("node /test/Pad (Pad): attribute 'mode' value 'symmetric' is not supported"));
  EXPECT_THAT(
      error_of(make_node("Pad", 2), 13, data(count_up({2})), data(Tensor::from<std::int64_t>({2}, {1, 1}))),
      HasSubstr("must be known at load time"));
  EXPECT_THAT(error_of(make_node("Pad", 2), 13, data(count_up({2, 2})), ints({1, 1})),
              HasSubstr("pads [1,1] has 2 values, expected 4"));
  EXPECT_THAT(error_of(make_node("Pad", 2), 13, data(count_up({2})), ints({-2, -1})), HasSubstr("below 0"));
}

// ------------------------------------------------------------------ PyTorch differential

const std::string kCaseDir = std::string(TILESCOPE_SOURCE_DIR) + "/tests/engine/data/spatial/";

struct TorchCase {
  std::string name;
  nlohmann::json spec;
};
// gtest prints a failing parameter with this.
void PrintTo(const TorchCase& c, std::ostream* os) { *os << c.name; }

std::vector<TorchCase> load_torch_cases() {
  std::ifstream in(kCaseDir + "cases.json");
  if (!in) return {};
  const nlohmann::json manifest = nlohmann::json::parse(in);
  std::vector<TorchCase> cases;
  for (const nlohmann::json& c : manifest.at("cases"))
    cases.push_back({c.at("name").get<std::string>(), c});
  return cases;
}

AttrValue json_attr(const nlohmann::json& a) {
  if (a.contains("int")) return a["int"].get<std::int64_t>();
  if (a.contains("float")) return a["float"].get<float>();
  if (a.contains("string")) return a["string"].get<std::string>();
  if (a.contains("ints")) return a["ints"].get<Ints>();
  return a.at("floats").get<Floats>();
}

class TorchDifferential : public ::testing::TestWithParam<TorchCase> {};

TEST_P(TorchDifferential, MatchesTorch) {
  const nlohmann::json& spec = GetParam().spec;
  SCOPED_TRACE("case " + spec.dump());
  Node node = make_node(spec.at("op").get<std::string>(), spec.at("inputs").size());
  for (const auto& [name, value] : spec.at("attrs").items())
    node.attrs.set(name, json_attr(value));
  std::vector<Input> inputs;
  for (const nlohmann::json& i : spec.at("inputs")) {
    if (i.is_null()) {
      inputs.push_back(absent());
    } else {
      inputs.push_back({read_npy(kCaseDir + i.at("file").get<std::string>()), i.at("constant").get<bool>()});
    }
  }
  const Tensor want = read_npy(kCaseDir + spec.at("output").get<std::string>());
  const Tensor got =
      std::move(run_inputs(node, spec.at("opset").get<std::int64_t>(), std::move(inputs)).at(0));
  ASSERT_EQ(got.shape(), want.shape());
  ASSERT_EQ(got.dtype(), DType::kFloat32);
  const bool exact = node.op_type == "MaxPool";
  const float* g = got.data<float>();
  const float* w = want.data<float>();
  int failures = 0;
  for (std::int64_t i = 0; i < want.size() && failures < 10; ++i) {
    // 2 ulp relative plus 1e-6 absolute: see the note at the top of the file.
    const double tolerance = exact ? 0.0 : 2.0 * 0x1p-23 * std::abs(w[i]) + 1e-6;
    if (std::abs(static_cast<double>(g[i]) - w[i]) > tolerance) {
      ADD_FAILURE() << "element " << i << ": got " << g[i] << ", torch " << w[i] << " (tolerance "
                    << tolerance << ")";
      ++failures;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Spatial, TorchDifferential, ::testing::ValuesIn(load_torch_cases()),
                         [](const ::testing::TestParamInfo<TorchCase>& info) { return info.param.name; });

// Guards against the data folder silently going missing (the suite above would be empty).
TEST(TorchDifferentialData, AllCasesPresent) { EXPECT_EQ(load_torch_cases().size(), 36u) << kCaseDir; }

} // namespace
} // namespace tilescope::engine::reference
