// Reference element-wise and math ops (Relu ... Cast, MatMul, Gemm, Softmax,
// ReduceMean/Max) and the broadcasting helpers they share: shape inference and
// kernels through OpRegistry, checked against hand-computed values, plus the
// load-time errors a user sees for bad types and attributes.
//
// Tolerances: float32 results are double computations rounded once to float32,
// so they are within 0.5 ulp (relative 6e-8) of the exact value; expected values
// below are written with 7-8 significant digits, so float32 checks use a
// relative tolerance of 1e-6. Integer, bool and exactly representable results
// are compared exactly (tolerance 0).
#include "backends/reference/broadcast.h"
#include "backends/reference/op_registry.h"
#include "tilescope/engine/tensor.h"

#include <cmath>
#include <cstdint>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <limits>
#include <string>
#include <vector>

namespace tilescope::engine::reference {
namespace {

using ::testing::HasSubstr;
using Ints = std::vector<std::int64_t>;
using Doubles = std::vector<double>;

constexpr double kFloatTol = 1e-6; // relative; see the file comment
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kOpset = 17; // the default-domain opset of current exporters

// One node input: a tensor (absent when empty) and whether shape inference sees
// its value (a load-time constant) or only its type.
struct Input {
  Tensor tensor;
  bool constant = true;
};

template <class T> Tensor make(Shape shape, std::initializer_list<T> values) {
  return Tensor::from<T>(std::move(shape), values);
}
Tensor f32(Shape shape, const std::vector<float>& v) {
  return Tensor::from<float>(std::move(shape), std::span(v));
}
Tensor i64(Shape shape, const Ints& v) { return Tensor::from<std::int64_t>(std::move(shape), std::span(v)); }

// The node "/test/<op>" with inputs in0.. and one output; an absent input
// (empty tensor) gets an empty name, as importers write it.
struct OpCall {
  std::string op;
  std::vector<Input> inputs;
  Attributes attrs;
  std::int64_t opset = kOpset;

  Node node() const {
    Node n;
    n.name = "/test/" + op;
    n.op_type = op;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      n.inputs.push_back(inputs[i].tensor.empty() ? "" : "in" + std::to_string(i));
    }
    n.outputs = {"out"};
    n.attrs = attrs.clone();
    return n;
  }
};

Input to_input(Tensor t) { return {std::move(t), true}; }
Input to_input(Input in) { return in; }
// call("Add", a, b): inputs are Tensors (load-time constants) or Inputs.
template <class... In> OpCall call(std::string op, In&&... inputs) {
  OpCall c{std::move(op), {}, {}, kOpset};
  (c.inputs.push_back(to_input(std::forward<In>(inputs))), ...);
  return c;
}
OpCall&& with(OpCall&& c, const std::string& name, AttrValue v) {
  c.attrs.set(name, std::move(v));
  return std::move(c);
}
OpCall&& at_opset(OpCall&& c, std::int64_t opset) {
  c.opset = opset;
  return std::move(c);
}
Input runtime(Tensor t) { return {std::move(t), false}; }
Input absent() { return {Tensor(), false}; }

// Runs shape inference then the kernel, as the session does. Throws the Error
// shape inference raises.
Tensor run(const OpCall& c) {
  const Node node = c.node();
  const OpDef* def = OpRegistry::instance().find("", c.op);
  if (def == nullptr) throw std::runtime_error("op " + c.op + " is not registered");
  std::vector<ValueType> types(c.inputs.size());
  std::vector<const ValueType*> type_ptrs;
  std::vector<const Tensor*> constants, kernel_inputs;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    const Tensor& t = c.inputs[i].tensor;
    types[i] = {t.dtype(), t.shape()};
    type_ptrs.push_back(t.empty() ? nullptr : &types[i]);
    constants.push_back(!t.empty() && c.inputs[i].constant ? &t : nullptr);
    kernel_inputs.push_back(t.empty() ? nullptr : &t);
  }
  InferContext ictx(node, c.opset, type_ptrs, constants);
  def->infer(ictx);
  Tensor out(ictx.outputs()[0].dtype, ictx.outputs()[0].shape);
  Tensor* out_ptr = &out;
  def->run(KernelContext{node, c.opset, kernel_inputs, std::span<Tensor* const>(&out_ptr, 1)});
  return out;
}

// The caller's file and line, for failure messages. (std::source_location would
// do, but clang 15 with libstdc++ 12, used for fuzzing and clang-tidy, lacks it;
// both compilers have these builtins.)
struct CallSite {
  const char* file = __builtin_FILE();
  int line = __builtin_LINE();
};

// The message shape inference fails with, or "" (plus a test failure at the
// caller's line) if none.
std::string infer_error(const OpCall& c, CallSite at = {}) {
  try {
    run(c);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE_AT(at.file, at.line) << c.op << " did not fail";
  return {};
}

// Compares every element (as double) with NaN == NaN; tol is relative (with an
// absolute floor of tol for values near 0). Failures point at the caller's line
// and list the first 5 mismatching elements.
void expect_values(const Tensor& t, DType dtype, const Shape& shape, const Doubles& want, double tol = 0,
                   CallSite at = {}) {
  if (t.dtype() != dtype || t.shape() != shape) {
    ADD_FAILURE_AT(at.file, at.line) << "got " << dtype_name(t.dtype()) << " " << shape_str(t.shape())
                                     << ", want " << dtype_name(dtype) << " " << shape_str(shape);
    return;
  }
  if (t.size() != static_cast<std::int64_t>(want.size())) {
    ADD_FAILURE_AT(at.file, at.line) << "test bug: " << want.size() << " expected values for "
                                     << shape_str(shape);
    return;
  }
  int reported = 0;
  for (std::int64_t i = 0; i < t.size() && reported < 5; ++i) {
    const double got = t.get_as_double(i), w = want[static_cast<std::size_t>(i)];
    const bool ok = (std::isnan(w) && std::isnan(got)) || got == w ||
                    std::abs(got - w) <= tol * std::max(1.0, std::abs(w));
    if (ok) continue;
    ++reported;
    ADD_FAILURE_AT(at.file, at.line) << "element " << i << ": got " << got << ", want " << w << " (tol "
                                     << tol << ")";
  }
}

// ---------------------------------------------------------------- broadcasting

TEST(ReferenceBroadcast, ShapesFollowNumpy) {
  EXPECT_EQ(broadcast_shapes({2, 3, 4}, {4}), (Shape{2, 3, 4}));
  EXPECT_EQ(broadcast_shapes({2, 1}, {1, 3}), (Shape{2, 3}));
  EXPECT_EQ(broadcast_shapes({}, {3}), (Shape{3}));
  EXPECT_EQ(broadcast_shapes({5, 1, 4}, {3, 1}), (Shape{5, 3, 4}));
  EXPECT_EQ(broadcast_shapes({0}, {1}), (Shape{0}));
  EXPECT_FALSE(broadcast_shapes({2, 3}, {3, 2}));
  EXPECT_FALSE(broadcast_shapes({0}, {3}));
  EXPECT_TRUE(broadcasts_to({3}, {2, 3}));
  EXPECT_FALSE(broadcasts_to({2, 3}, {3}));
  EXPECT_FALSE(broadcasts_to({2, 1}, {1, 3})); // multidirectional only
}

TEST(ReferenceBroadcast, StridesAndWalkOrder) {
  EXPECT_EQ(broadcast_strides({3, 1}, {2, 3, 4}), (Ints{0, 1, 0}));
  EXPECT_EQ(broadcast_strides({2, 3}, {2, 3}), (Ints{3, 1}));
  // Walking [2,3] with a [2,1] and a [3] operand visits (row, col) in row-major order.
  std::array<std::vector<std::int64_t>, 2> strides{broadcast_strides({2, 1}, {2, 3}),
                                                   broadcast_strides({3}, {2, 3})};
  Ints seen;
  for_each_broadcast(Shape{2, 3}, strides, [&](std::int64_t i, const std::array<std::int64_t, 2>& off) {
    seen.insert(seen.end(), {i, off[0], off[1]});
  });
  EXPECT_EQ(seen, (Ints{0, 0, 0, 1, 0, 1, 2, 0, 2, 3, 1, 0, 4, 1, 1, 5, 1, 2}));
  // A scalar walk visits once; an empty shape not at all.
  int n = 0;
  for_each_broadcast(Shape{}, std::array<std::vector<std::int64_t>, 1>{Ints{}}, [&](auto, auto) { ++n; });
  for_each_broadcast(Shape{2, 0}, std::array<std::vector<std::int64_t>, 1>{Ints{0, 0}},
                     [&](auto, auto) { ++n; });
  EXPECT_EQ(n, 1);
}

// ---------------------------------------------------------------- unary

TEST(ReferenceUnary, ReluFloatIntAndNaN) {
  expect_values(run(call("Relu", f32({4}, {-2.5f, 0.f, 3.f, NAN}))), DType::kFloat32, {4}, {0, 0, 3, kNaN});
  expect_values(run(call("Relu", make<std::int8_t>({3}, {-128, 5, 127}))), DType::kInt8, {3}, {0, 5, 127});
}

TEST(ReferenceUnary, LeakyReluAlpha) {
  expect_values(run(call("LeakyRelu", f32({2}, {-10.f, 4.f}))), DType::kFloat32, {2}, {-0.1, 4}, kFloatTol);
  expect_values(run(with(call("LeakyRelu", f32({2}, {-10.f, 4.f})), "alpha", 0.25f)), DType::kFloat32, {2},
                {-2.5, 4});
}

TEST(ReferenceUnary, SmoothFunctions) {
  const Tensor x = f32({5}, {-1000.f, -1.f, 0.f, 1.f, 1000.f});
  // sigmoid(1) = 0.7310585786, tanh(1) = 0.7615941559, e = 2.718281828
  expect_values(run(call("Sigmoid", x.clone())), DType::kFloat32, {5}, {0, 0.26894142, 0.5, 0.73105858, 1},
                kFloatTol);
  expect_values(run(call("Tanh", x.clone())), DType::kFloat32, {5}, {-1, -0.76159416, 0, 0.76159416, 1},
                kFloatTol);
  expect_values(run(call("Exp", x.clone())), DType::kFloat32, {5}, {0, 0.36787944, 1, 2.7182818, kInf},
                kFloatTol);
  expect_values(run(call("Sqrt", make<double>({3}, {-1, 2, 9}))), DType::kFloat64, {3},
                {kNaN, 1.4142135623730951, 3}, 1e-15);
}

TEST(ReferenceUnary, HardSigmoidAndHardSwish) {
  const Tensor x = f32({5}, {-4.f, -3.f, 0.f, 1.f, 3.f});
  // Defaults alpha 0.2, beta 0.5: clamp(0.2x + 0.5, 0, 1).
  expect_values(run(call("HardSigmoid", x.clone())), DType::kFloat32, {5}, {0, 0, 0.5, 0.7, 1}, kFloatTol);
  expect_values(run(with(with(call("HardSigmoid", x.clone()), "alpha", 0.5f), "beta", 0.25f)),
                DType::kFloat32, {5}, {0, 0, 0.25, 0.75, 1}, kFloatTol);
  // x * clamp(x/6 + 0.5, 0, 1): 1 * 2/3 at x = 1.
  expect_values(run(call("HardSwish", x.clone())), DType::kFloat32, {5}, {0, 0, 0, 0.66666667, 3}, kFloatTol);
}

TEST(ReferenceUnary, RejectsUnsupportedTypesAndBadAttributes) {
  EXPECT_THAT(
      infer_error(call("Sigmoid", i64({1}, {1}))),
      HasSubstr("node /test/Sigmoid (Sigmoid): input 0 ('in0') has element type int64; Sigmoid accepts "
                "float32, float64"));
  EXPECT_THAT(infer_error(with(call("LeakyRelu", f32({1}, {1.f})), "alpha", std::int64_t{1})),
              HasSubstr("node /test/LeakyRelu (LeakyRelu): attribute 'alpha' is not of type float"));
  EXPECT_THAT(infer_error(call("Relu", make<bool>({1}, {true}))), HasSubstr("has element type bool"));
}

// ---------------------------------------------------------------- Clip

TEST(ReferenceClip, BoundsAsOptionalInputs) {
  const std::vector<float> v{-5.f, -1.f, 0.5f, 2.f, 7.f};
  auto x = [&] { return Input{f32({5}, v)}; };
  auto s = [](float f) { return Input{Tensor::scalar(f)}; };
  expect_values(run(call("Clip", x(), s(-1.f), s(2.f))), DType::kFloat32, {5}, {-1, -1, 0.5, 2, 2});
  expect_values(run(call("Clip", x(), s(0.f))), DType::kFloat32, {5}, {0, 0, 0.5, 2, 7}); // min only
  expect_values(run(call("Clip", x(), absent(), s(1.f))), DType::kFloat32, {5},
                {-5, -1, 0.5, 1, 1});                                               // max only
  expect_values(run(call("Clip", x())), DType::kFloat32, {5}, {-5, -1, 0.5, 2, 7}); // neither
  // min > max: every value becomes max (spec, opset 13).
  expect_values(run(call("Clip", x(), s(3.f), s(1.f))), DType::kFloat32, {5}, {1, 1, 1, 1, 1});
  // Bounds computed at run time (not constants) are read by the kernel.
  expect_values(run(call("Clip", x(), runtime(Tensor::scalar(0.f)), runtime(f32({1}, {1.f})))),
                DType::kFloat32, {5}, {0, 0, 0.5, 1, 1});
  expect_values(run(call("Clip", f32({2}, {NAN, 9.f}), s(0.f), s(6.f))), DType::kFloat32, {2}, {kNaN, 6});
}

TEST(ReferenceClip, IntegerTypes) {
  using I8 = std::int8_t;
  expect_values(run(call("Clip", make<I8>({4}, {-128, -3, 4, 127}), Tensor::scalar<I8>(-2))), DType::kInt8,
                {4}, {-2, -2, 4, 127});
  expect_values(run(call("Clip", make<I8>({4}, {-128, -3, 4, 127}), absent(), Tensor::scalar<I8>(5))),
                DType::kInt8, {4}, {-128, -3, 4, 5});
}

TEST(ReferenceClip, AttributesBeforeOpset11) {
  const std::vector<float> v{-5.f, 0.5f, 7.f};
  expect_values(run(at_opset(with(with(call("Clip", f32({3}, v)), "min", -1.f), "max", 1.f), 6)),
                DType::kFloat32, {3}, {-1, 0.5, 1});
  // Defaults are the float32 range, so a float64 input beyond it is clipped.
  expect_values(run(at_opset(call("Clip", make<double>({2}, {-1e39, 1e39})), 6)), DType::kFloat64, {2},
                {std::numeric_limits<float>::lowest(), std::numeric_limits<float>::max()});
}

TEST(ReferenceClip, RejectsBadBounds) {
  EXPECT_THAT(infer_error(call("Clip", f32({2}, {1, 2}), f32({2}, {0, 1}))),
              HasSubstr("Clip): min must be a scalar, got shape [2]"));
  EXPECT_THAT(infer_error(call("Clip", f32({1}, {1}), absent(), Tensor::scalar<double>(1))),
              HasSubstr("max has element type float64, input has float32 (they must match)"));
  EXPECT_THAT(infer_error(at_opset(call("Clip", i64({1}, {1})), 6)),
              HasSubstr("Clip before opset 11 accepts float32, float64"));
}

// ---------------------------------------------------------------- binary

TEST(ReferenceBinary, AddBroadcasts) {
  // [2,3] + [3] and [2,1] + [1,3]
  expect_values(run(call("Add", f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({3}, {10, 20, 30}))), DType::kFloat32,
                {2, 3}, {11, 22, 33, 14, 25, 36});
  expect_values(run(call("Add", f32({2, 1}, {1, 2}), f32({1, 3}, {10, 20, 30}))), DType::kFloat32, {2, 3},
                {11, 21, 31, 12, 22, 32});
  expect_values(run(call("Add", Tensor::scalar(0.5f), f32({2, 1, 2}, {1, 2, 3, 4}))), DType::kFloat32,
                {2, 1, 2}, {1.5, 2.5, 3.5, 4.5});
  // uint8 wraps like numpy: 250 + 10 = 4.
  expect_values(run(call("Add", make<std::uint8_t>({1}, {250}), make<std::uint8_t>({1}, {10}))),
                DType::kUInt8, {1}, {4});
}

TEST(ReferenceBinary, SubMulFloatAndInt) {
  expect_values(run(call("Sub", i64({3}, {5, 0, -2}), i64({1}, {3}))), DType::kInt64, {3}, {2, -3, -5});
  expect_values(run(call("Mul", make<std::int32_t>({2}, {70000, -3}), make<std::int32_t>({2}, {70000, 4}))),
                DType::kInt32, {2}, {605032704, -12}); // 4.9e9 mod 2^32
  expect_values(run(call("Mul", make<double>({2}, {0.1, 3}), make<double>({2}, {3, -0.5}))), DType::kFloat64,
                {2}, {0.1 * 3, -1.5});
}

TEST(ReferenceBinary, DivFloatAndIntegerTruncation) {
  expect_values(run(call("Div", f32({4}, {1, -1, 0, 7}), f32({4}, {0, 0, 0, 2}))), DType::kFloat32, {4},
                {kInf, -kInf, kNaN, 3.5});
  // Integers truncate toward zero (C, ONNX Runtime), not floor (numpy).
  expect_values(run(call("Div", i64({4}, {-7, 7, -7, 7}), i64({4}, {2, -2, -2, 2}))), DType::kInt64, {4},
                {-3, -3, 3, 3});
  // Division by zero gives 0; INT8_MIN / -1 wraps to INT8_MIN.
  using I8 = std::int8_t;
  expect_values(run(call("Div", make<I8>({2}, {5, -128}), make<I8>({2}, {0, -1}))), DType::kInt8, {2},
                {0, -128});
}

TEST(ReferenceBinary, PowAnyExponentTensor) {
  expect_values(run(call("Pow", f32({3}, {2, 4, -8}), f32({3}, {3, 0.5, 1}))), DType::kFloat32, {3},
                {8, 2, -8});
  // Exponent of another type, broadcast: float base, int64 exponents.
  expect_values(run(call("Pow", f32({2, 1}, {2, 3}), i64({2}, {2, -1}))), DType::kFloat32, {2, 2},
                {4, 0.5, 9, 0.33333333}, kFloatTol);
  // int32 base, float exponent: output int32 (the ONNX node test), fractional powers truncate.
  expect_values(run(call("Pow", make<std::int32_t>({3}, {2, 2, 3}), f32({3}, {5, 0.5, 2}))), DType::kInt32,
                {3}, {32, 1, 9});
  // int64 ^ int64 is exact: 3^39 needs 62 bits, more than a double holds.
  const Tensor p = run(call("Pow", i64({5}, {3, 2, -1, 1, 0}), i64({5}, {39, -1, -3, -5, -1})));
  EXPECT_EQ(p.to_int64_vector(), (Ints{4052555153018976267, 0, -1, 1, 0}));
}

TEST(ReferenceBinary, RejectsMismatchedInputs) {
  EXPECT_THAT(infer_error(call("Add", f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({2}, {1, 2}))),
              HasSubstr("node /test/Add (Add): cannot broadcast shapes [2,3] and [2]"));
  EXPECT_THAT(infer_error(call("Mul", f32({1}, {1}), i64({1}, {1}))),
              HasSubstr("inputs have different element types float32 and int64"));
  EXPECT_THAT(
      infer_error(call("Pow", make<std::uint8_t>({1}, {2}), i64({1}, {1}))),
      HasSubstr("input 0 ('in0') has element type uint8; Pow accepts float32, float64, int64, int32"));
  EXPECT_THAT(infer_error(call("Sub", make<bool>({1}, {true}), make<bool>({1}, {true}))),
              HasSubstr("has element type bool"));
}

// ---------------------------------------------------------------- Softmax

TEST(ReferenceSoftmax, SingleAxisFromOpset13) {
  // softmax([1,2,3]) = [0.09003057, 0.24472847, 0.66524096]
  const Tensor x = f32({2, 3}, {1, 2, 3, 1, 1, 1});
  expect_values(run(call("Softmax", x.clone())), DType::kFloat32, {2, 3},
                {0.09003057, 0.24472847, 0.66524096, 1. / 3, 1. / 3, 1. / 3}, kFloatTol);
  // axis 0: columns [1,1], [2,1], [3,1]; 1/(1+e^-1) = 0.7310586
  expect_values(run(with(call("Softmax", x.clone()), "axis", std::int64_t{0})), DType::kFloat32, {2, 3},
                {0.5, 0.7310586, 0.8807971, 0.5, 0.2689414, 0.1192029}, kFloatTol);
}

TEST(ReferenceSoftmax, LargeValuesDoNotOverflow) {
  // Shift invariance: softmax(x + 1000) == softmax(x); exp(1000) alone is inf.
  expect_values(run(call("Softmax", f32({3}, {1000, 1001, 1002}))), DType::kFloat32, {3},
                {0.09003057, 0.24472847, 0.66524096}, kFloatTol);
  expect_values(run(call("Softmax", f32({2}, {-1e30f, 0}))), DType::kFloat32, {2}, {0, 1});
}

TEST(ReferenceSoftmax, CoercesTo2DBeforeOpset13) {
  // [1,2,2] with axis 1: opset 11 normalises all 4 values together, opset 13 each pair of the middle dim.
  const std::vector<float> v{1, 2, 3, 4};
  expect_values(run(at_opset(call("Softmax", f32({1, 2, 2}, v)), 11)), DType::kFloat32, {1, 2, 2},
                {0.0320586, 0.08714432, 0.23688282, 0.64391426}, kFloatTol);
  expect_values(run(with(call("Softmax", f32({1, 2, 2}, v)), "axis", std::int64_t{1})), DType::kFloat32,
                {1, 2, 2}, {0.11920292, 0.11920292, 0.88079708, 0.88079708}, kFloatTol);
}

TEST(ReferenceSoftmax, RejectsBadAxisAndTypes) {
  EXPECT_THAT(infer_error(with(call("Softmax", f32({2, 3}, {1, 2, 3, 4, 5, 6})), "axis", std::int64_t{2})),
              HasSubstr("node /test/Softmax (Softmax): axis 2 is out of range for input of rank 2"));
  EXPECT_THAT(infer_error(call("Softmax", i64({2}, {1, 2}))), HasSubstr("Softmax accepts float32, float64"));
}

// ---------------------------------------------------------------- MatMul

TEST(ReferenceMatMul, TwoDimensional) {
  // [[1,2],[3,4],[5,6]] x [[1,0,2],[0,1,3]]
  expect_values(run(call("MatMul", f32({3, 2}, {1, 2, 3, 4, 5, 6}), f32({2, 3}, {1, 0, 2, 0, 1, 3}))),
                DType::kFloat32, {3, 3}, {1, 2, 8, 3, 4, 18, 5, 6, 28});
}

TEST(ReferenceMatMul, OneDimensionalOperands) {
  const Tensor m = f32({2, 2}, {1, 2, 3, 4});
  // [K] x [K,N] -> [N]; [M,K] x [K] -> [M]; [K] x [K] -> scalar
  expect_values(run(call("MatMul", f32({2}, {1, 1}), m.clone())), DType::kFloat32, {2}, {4, 6});
  expect_values(run(call("MatMul", m.clone(), f32({2}, {1, 1}))), DType::kFloat32, {2}, {3, 7});
  expect_values(run(call("MatMul", f32({3}, {1, 2, 3}), f32({3}, {4, 5, 6}))), DType::kFloat32, {}, {32});
  // 1-D against a batch: [2] x [3,2,1] -> [3,1]
  expect_values(run(call("MatMul", f32({2}, {1, 10}), f32({3, 2, 1}, {1, 2, 3, 4, 5, 6}))), DType::kFloat32,
                {3, 1}, {21, 43, 65});
}

TEST(ReferenceMatMul, BatchDimsBroadcast) {
  // A [2,1,1,2] x B [3,2,1] -> [2,3,1,1]: out[i,j] = A[i] . B[j]
  const Tensor a = f32({2, 1, 1, 2}, {1, 2, 3, 4});
  const Tensor b = f32({3, 2, 1}, {1, 0, 0, 1, 1, 1});
  expect_values(run(call("MatMul", a.clone(), b.clone())), DType::kFloat32, {2, 3, 1, 1}, {1, 2, 3, 3, 4, 7});
  // Integers accumulate in int64 with wrap-around.
  expect_values(run(call("MatMul", i64({1, 2}, {3, -4}), i64({2, 1}, {5, 6}))), DType::kInt64, {1, 1}, {-9});
}

TEST(ReferenceMatMul, RejectsMismatchedShapes) {
  EXPECT_THAT(infer_error(call("MatMul", f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({2, 3}, {1, 2, 3, 4, 5, 6}))),
              HasSubstr("node /test/MatMul (MatMul): inner dimensions differ: [2,3] x [2,3]"));
  EXPECT_THAT(infer_error(call("MatMul", f32({2, 1, 1}, {1, 2}), f32({3, 1, 1}, {1, 2, 3}))),
              HasSubstr("batch dimensions do not broadcast: [2,1,1] x [3,1,1]"));
  EXPECT_THAT(infer_error(call("MatMul", Tensor::scalar(1.f), f32({1}, {1}))), HasSubstr("rank >= 1"));
}

// ---------------------------------------------------------------- Gemm

TEST(ReferenceGemm, TransposesScalesAndBias) {
  const Tensor a = f32({2, 3}, {1, 2, 3, 4, 5, 6}); // A; A^T is [3,2]
  const Tensor b = f32({3, 2}, {1, 0, 0, 1, 1, 1});
  // A x B = [[4,5],[10,11]]
  expect_values(run(call("Gemm", a.clone(), b.clone())), DType::kFloat32, {2, 2}, {4, 5, 10, 11});
  // alpha 2, beta 0.5, C [2] broadcast along rows
  expect_values(
      run(with(with(call("Gemm", a.clone(), b.clone(), f32({2}, {10, 20})), "alpha", 2.f), "beta", 0.5f)),
      DType::kFloat32, {2, 2}, {13, 20, 25, 32});
  // transA: A^T [3,2] x [2,2] gives [3,2]. transB on B^T gives A x B again, plus C [2,1] (one value per row).
  expect_values(run(with(call("Gemm", a.clone(), f32({2, 2}, {1, 2, 3, 4})), "transA", std::int64_t{1})),
                DType::kFloat32, {3, 2}, {13, 18, 17, 24, 21, 30});
  expect_values(run(with(call("Gemm", a.clone(), f32({2, 3}, {1, 0, 1, 0, 1, 1}), f32({2, 1}, {100, 200})),
                         "transB", std::int64_t{1})),
                DType::kFloat32, {2, 2}, {104, 105, 210, 211});
  // Scalar C
  expect_values(run(call("Gemm", a.clone(), b.clone(), Tensor::scalar(1.f))), DType::kFloat32, {2, 2},
                {5, 6, 11, 12});
}

TEST(ReferenceGemm, RejectsBadInputs) {
  const Tensor a = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = f32({3, 2}, {1, 0, 0, 1, 1, 1});
  EXPECT_THAT(infer_error(call("Gemm", a.clone(), b.clone(), f32({3}, {1, 2, 3}))),
              HasSubstr("node /test/Gemm (Gemm): C of shape [3] does not broadcast to [2,2]"));
  EXPECT_THAT(infer_error(call("Gemm", a.clone(), a.clone())), HasSubstr("inner dimensions differ"));
  EXPECT_THAT(infer_error(with(call("Gemm", a.clone(), b.clone()), "transA", std::int64_t{2})),
              HasSubstr("attribute transA must be 0 or 1, got 2"));
  EXPECT_THAT(infer_error(at_opset(call("Gemm", a.clone(), b.clone()), 9)),
              HasSubstr("input C is required before opset 11"));
  EXPECT_THAT(infer_error(call("Gemm", i64({1, 1}, {1}), i64({1, 1}, {1}))),
              HasSubstr("Gemm accepts float32, float64"));
}

// ---------------------------------------------------------------- ReduceMean / ReduceMax

// [3,2,2] from the ONNX reduce examples.
Tensor reduce_input() { return f32({3, 2, 2}, {5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2}); }

TEST(ReferenceReduce, AxesAttributeBeforeOpset18) {
  const Ints axis1{1};
  expect_values(run(at_opset(with(call("ReduceMean", reduce_input()), "axes", axis1), 13)), DType::kFloat32,
                {3, 1, 2}, {12.5, 1.5, 35, 1.5, 57.5, 1.5});
  expect_values(run(at_opset(with(with(call("ReduceMax", reduce_input()), "axes", Ints{-1, 0}), "keepdims",
                                  std::int64_t{0}),
                             13)),
                DType::kFloat32, {2}, {55, 60});
  // No axes: everything.
  expect_values(run(at_opset(call("ReduceMean", reduce_input()), 13)), DType::kFloat32, {1, 1, 1}, {18.25});
}

TEST(ReferenceReduce, AxesInputFromOpset18) {
  expect_values(run(at_opset(call("ReduceMax", reduce_input(), i64({1}, {2})), 18)), DType::kFloat32,
                {3, 2, 1}, {5, 20, 30, 40, 55, 60});
  expect_values(
      run(at_opset(with(call("ReduceMean", reduce_input(), i64({2}, {0, 2})), "keepdims", std::int64_t{0}),
                   18)),
      DType::kFloat32, {2}, {15.5, 21});
  // Empty axes with noop_with_empty_axes = 1 is an identity; without it, a full reduction.
  const Tensor noop = run(at_opset(
      with(call("ReduceMax", reduce_input(), i64({0}, {})), "noop_with_empty_axes", std::int64_t{1}), 18));
  expect_values(noop, DType::kFloat32, {3, 2, 2}, {5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2});
  expect_values(run(at_opset(call("ReduceMax", reduce_input(), absent()), 18)), DType::kFloat32, {1, 1, 1},
                {60});
}

TEST(ReferenceReduce, IntegerNaNAndEmpty) {
  // Integer mean truncates: (1 + 2 + 4) / 3 = 2; (-1 - 2 - 4) / 3 = -2.
  expect_values(run(at_opset(call("ReduceMean", i64({2, 3}, {1, 2, 4, -1, -2, -4}), i64({1}, {1})), 18)),
                DType::kInt64, {2, 1}, {2, -2});
  expect_values(run(at_opset(with(call("ReduceMax", f32({3}, {1, NAN, 2})), "axes", Ints{0}), 13)),
                DType::kFloat32, {1}, {kNaN});
  // Reducing a zero-sized dim: max is -inf, mean is NaN.
  expect_values(run(at_opset(with(call("ReduceMax", f32({2, 0}, {})), "axes", Ints{1}), 13)), DType::kFloat32,
                {2, 1}, {-kInf, -kInf});
  expect_values(run(at_opset(with(call("ReduceMean", f32({2, 0}, {})), "axes", Ints{1}), 13)),
                DType::kFloat32, {2, 1}, {kNaN, kNaN});
}

TEST(ReferenceReduce, RejectsBadAxes) {
  EXPECT_THAT(infer_error(at_opset(with(call("ReduceMean", reduce_input()), "axes", Ints{3}), 13)),
              HasSubstr("node /test/ReduceMean (ReduceMean): axis 3 is out of range for input of rank 3"));
  EXPECT_THAT(infer_error(at_opset(with(call("ReduceMax", reduce_input()), "axes", Ints{1, -2}), 13)),
              HasSubstr("axis -2 appears more than once in axes"));
  EXPECT_THAT(infer_error(at_opset(call("ReduceMax", reduce_input(), runtime(i64({1}, {0}))), 18)),
              HasSubstr("input 1 ('in1') must be known at load time"));
  EXPECT_THAT(infer_error(at_opset(with(call("ReduceMax", reduce_input()), "axes", Ints{0}), 18)),
              HasSubstr("axes is an input since opset 18, not an attribute"));
  EXPECT_THAT(
      infer_error(at_opset(with(call("ReduceMean", reduce_input()), "keepdims", std::int64_t{2}), 13)),
      HasSubstr("attribute keepdims must be 0 or 1, got 2"));
}

// ---------------------------------------------------------------- Cast

OpCall cast_to(Tensor x, std::int64_t onnx_type) { return with(call("Cast", std::move(x)), "to", onnx_type); }
constexpr std::int64_t kOnnxFloat = 1, kOnnxUInt8 = 2, kOnnxInt8 = 3, kOnnxInt32 = 6, kOnnxInt64 = 7,
                       kOnnxBool = 9, kOnnxFloat16 = 10, kOnnxDouble = 11;

TEST(ReferenceCast, FloatToIntegerTruncatesAndSaturates) {
  const Tensor x = f32({6}, {-1.7f, 2.9f, NAN, 1e10f, -1e10f, 0.f});
  expect_values(run(cast_to(x.clone(), kOnnxInt32)), DType::kInt32, {6},
                {-1, 2, 0, 2147483647.0, -2147483648.0, 0});
  expect_values(run(cast_to(x.clone(), kOnnxUInt8)), DType::kUInt8, {6}, {0, 2, 0, 255, 0, 0});
  expect_values(run(cast_to(x.clone(), kOnnxBool)), DType::kBool, {6}, {1, 1, 1, 1, 1, 0});
}

TEST(ReferenceCast, IntegerWrapsAndFloatRounds) {
  expect_values(run(cast_to(i64({3}, {300, -129, 5}), kOnnxInt8)), DType::kInt8, {3}, {44, 127, 5});
  expect_values(run(cast_to(make<bool>({2}, {true, false}), kOnnxDouble)), DType::kFloat64, {2}, {1, 0});
  // 0.1 as double rounds to the nearest float32.
  expect_values(run(cast_to(make<double>({2}, {0.1, 1e300}), kOnnxFloat)), DType::kFloat32, {2},
                {static_cast<double>(0.1f), kInf});
  expect_values(run(cast_to(make<std::uint8_t>({1}, {200}), kOnnxInt64)), DType::kInt64, {1}, {200});
}

TEST(ReferenceCast, RejectsUnsupportedTargets) {
  EXPECT_THAT(infer_error(cast_to(f32({1}, {1}), kOnnxFloat16)),
              HasSubstr("node /test/Cast (Cast): cast to FLOAT16 (to=10) is not supported"));
  EXPECT_THAT(infer_error(cast_to(f32({1}, {1}), 99)),
              HasSubstr("attribute 'to' = 99 is not an ONNX data type"));
  EXPECT_THAT(infer_error(call("Cast", f32({1}, {1}))), HasSubstr("required attribute 'to' is missing"));
}

} // namespace
} // namespace tilescope::engine::reference
