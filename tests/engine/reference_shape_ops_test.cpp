// Reference shape and data-movement ops (Reshape, Flatten, Transpose, Squeeze,
// Unsqueeze, Concat, Split, Slice, Gather, Expand, Range, ConstantOfShape, Shape,
// Constant): shape inference and kernels on hand-computed cases, every DType, and
// the error messages a user sees. All comparisons are exact: these ops only move
// or generate values, so there is no rounding to tolerate (Range's float cases
// use values that are exact in binary).
#include "backends/reference/op_registry.h"
#include "tilescope/engine/tensor.h"

#include <cstdint>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace tilescope::engine::reference {
namespace {

using ::testing::HasSubstr;
using Ints = std::vector<std::int64_t>;

constexpr DType kAllDTypes[] = {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32,
                                DType::kInt8,    DType::kUInt8,   DType::kBool};

// One node input: a tensor (absent when empty) and whether shape inference may
// see its value (a load-time constant) or only its type.
struct Input {
  Tensor tensor;
  bool constant = false;
};

Input data(Tensor t) { return {std::move(t), false}; }
Input constant(Tensor t) { return {std::move(t), true}; }
Input ints(Ints v) { return constant(Tensor::from<std::int64_t>({static_cast<std::int64_t>(v.size())}, v)); }
Input absent() { return {}; }

// A tensor of `dtype` holding `values` converted (for bool: nonzero -> true).
Tensor make(DType dtype, Shape shape, const Ints& values) {
  Tensor t(dtype, std::move(shape));
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(t.raw());
    for (std::size_t i = 0; i < values.size(); ++i)
      p[i] = static_cast<T>(values[i]);
  });
  return t;
}
Tensor iota(DType dtype, Shape shape) {
  Ints v(static_cast<std::size_t>(num_elements(shape)));
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<std::int64_t>(i);
  return make(dtype, std::move(shape), v);
}
// What make() stores for `values` in `dtype`, read back as int64.
Ints as_stored(DType dtype, const Ints& values) {
  Tensor t = make(dtype, {static_cast<std::int64_t>(values.size())}, values);
  return t.to_int64_vector();
}

Node make_node(const std::string& op, std::size_t num_inputs, std::size_t num_outputs = 1) {
  Node node;
  node.name = "/test/" + op;
  node.op_type = op;
  for (std::size_t i = 0; i < num_inputs; ++i)
    node.inputs.push_back("in" + std::to_string(i));
  for (std::size_t i = 0; i < num_outputs; ++i)
    node.outputs.push_back("out" + std::to_string(i));
  return node;
}

// Runs shape inference then the kernel, as the session does; absent inputs get
// an empty name in (a copy of) the node.
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
  for (const ValueType& t : ictx.outputs())
    outputs.emplace_back(t.dtype, t.shape);
  std::vector<Tensor*> out_ptrs;
  for (Tensor& t : outputs)
    out_ptrs.push_back(&t);
  def->run(KernelContext{node, opset, kernel_inputs, out_ptrs});
  return outputs;
}

// Inputs are passed as arguments because Tensor (hence Input) is move-only,
// which an initializer list cannot hold.
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

template <class... Pairs> Node with_attrs(Node node, Pairs&&... attrs) {
  (node.attrs.set(attrs.first, std::move(attrs.second)), ...);
  return node;
}
std::pair<std::string, AttrValue> attr(const std::string& name, std::int64_t v) { return {name, v}; }
std::pair<std::string, AttrValue> attr(const std::string& name, Ints v) { return {name, std::move(v)}; }

// ---------------------------------------------------------------- Reshape etc.

TEST(ReferenceReshape, ZeroCopiesDimAndMinusOneIsInferred) {
  Tensor y = run1(make_node("Reshape", 2), 13, data(iota(DType::kInt64, {2, 3, 4})), ints({0, -1}));
  EXPECT_EQ(y.shape(), (Shape{2, 12}));
  EXPECT_EQ(y.get_as_int(23), 23);
  EXPECT_EQ(y.dtype(), DType::kInt64);
}

TEST(ReferenceReshape, AllowZeroMakesZeroAnEmptyDim) {
  Node node = with_attrs(make_node("Reshape", 2), attr("allowzero", 1));
  Tensor y = run1(node, 14, data(Tensor(DType::kFloat32, {0, 3, 4})), ints({3, 4, 0}));
  EXPECT_EQ(y.shape(), (Shape{3, 4, 0}));
}

TEST(ReferenceReshape, Opset1TakesShapeAttribute) {
  Node node = with_attrs(make_node("Reshape", 1), attr("shape", Ints{3, -1}));
  EXPECT_EQ(run1(node, 1, data(iota(DType::kBool, {6}))).shape(), (Shape{3, 2}));
}

TEST(ReferenceReshape, Errors) {
  EXPECT_THAT(error_of(make_node("Reshape", 2), 13, data(iota(DType::kFloat32, {2, 3})), ints({4})),
              HasSubstr("node /test/Reshape (Reshape): cannot reshape input [2,3] (6 elements) to [4]"));
  EXPECT_THAT(error_of(make_node("Reshape", 2), 13, data(iota(DType::kFloat32, {2, 3})), ints({-1, -1})),
              HasSubstr("target shape [-1,-1] has more than one -1"));
  EXPECT_THAT(error_of(make_node("Reshape", 2), 13, data(iota(DType::kFloat32, {2, 3})), ints({4, -1})),
              HasSubstr("the -1 dim cannot be inferred"));
  EXPECT_THAT(
      error_of(make_node("Reshape", 2), 13, data(iota(DType::kFloat32, {6})), ints({6, 0})),
      HasSubstr("target shape [6,0] has 0 at index 1 (copy the input dim) but the input [6] has rank 1"));
  EXPECT_THAT(error_of(make_node("Reshape", 2), 13, data(iota(DType::kFloat32, {6})),
                       data(Tensor(DType::kInt64, {2}))),
              HasSubstr("target shape (input 1, 'in1') must be known at load time"));
}

TEST(ReferenceFlatten, Axes) {
  auto flatten = [](std::int64_t axis) {
    return run1(with_attrs(make_node("Flatten", 1), attr("axis", axis)), 13,
                data(iota(DType::kInt8, {2, 3, 4})))
        .shape();
  };
  EXPECT_EQ(flatten(0), (Shape{1, 24}));
  EXPECT_EQ(flatten(2), (Shape{6, 4}));
  EXPECT_EQ(flatten(3), (Shape{24, 1}));
  EXPECT_EQ(flatten(-1), (Shape{6, 4}));
  EXPECT_EQ(flatten(-3), (Shape{1, 24}));
  EXPECT_EQ(run1(make_node("Flatten", 1), 13, data(iota(DType::kInt8, {2, 3, 4}))).shape(), (Shape{2, 12}));
  EXPECT_THAT(
      error_of(with_attrs(make_node("Flatten", 1), attr("axis", 4)), 13, data(iota(DType::kInt8, {2, 3, 4}))),
      HasSubstr("axis 4 is out of range [-3, 3] for input shape [2,3,4]"));
}

TEST(ReferenceTranspose, DefaultReversesAxes) {
  // [[0,1,2],[3,4,5]]^T = [[0,3],[1,4],[2,5]]
  Tensor y = run1(make_node("Transpose", 1), 13, data(iota(DType::kInt64, {2, 3})));
  EXPECT_EQ(y.shape(), (Shape{3, 2}));
  EXPECT_EQ(y.to_int64_vector(), (Ints{0, 3, 1, 4, 2, 5}));
}

TEST(ReferenceTranspose, Perm3d) {
  // x[a,b,c] = 6a + 3b + c with shape [2,2,3]; y = x.transpose(2,0,1), y[c,a,b].
  Node node = with_attrs(make_node("Transpose", 1), attr("perm", Ints{2, 0, 1}));
  Tensor y = run1(node, 13, data(iota(DType::kInt32, {2, 2, 3})));
  EXPECT_EQ(y.shape(), (Shape{3, 2, 2}));
  EXPECT_EQ(y.to_int64_vector(), (Ints{0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11}));
}

TEST(ReferenceTranspose, Errors) {
  auto err = [](Ints perm) {
    return error_of(with_attrs(make_node("Transpose", 1), attr("perm", perm)), 13,
                    data(iota(DType::kFloat32, {2, 3})));
  };
  EXPECT_THAT(err({0, 0}), HasSubstr("name axis 0 more than once"));
  EXPECT_THAT(err({0}), HasSubstr("perm [0] has 1 entries but the input [2,3] has rank 2"));
  EXPECT_THAT(err({0, 2}), HasSubstr("perm entry 2 is out of range"));
}

TEST(ReferenceSqueeze, AxesFromInputAttributeOrAllOnes) {
  // Opset 13: axes input, negative allowed.
  EXPECT_EQ(run1(make_node("Squeeze", 2), 13, data(iota(DType::kFloat32, {1, 3, 1, 2})), ints({-2})).shape(),
            (Shape{1, 3, 2}));
  // Opset 11: axes attribute.
  EXPECT_EQ(run1(with_attrs(make_node("Squeeze", 1), attr("axes", Ints{0})), 11,
                 data(iota(DType::kFloat32, {1, 3, 1, 2})))
                .shape(),
            (Shape{3, 1, 2}));
  // No axes: every size-1 dim goes; the data is untouched.
  Tensor y = run1(make_node("Squeeze", 2), 13, data(iota(DType::kUInt8, {1, 3, 1, 2})), absent());
  EXPECT_EQ(y.shape(), (Shape{3, 2}));
  EXPECT_EQ(y.to_int64_vector(), (Ints{0, 1, 2, 3, 4, 5}));
}

TEST(ReferenceSqueeze, Errors) {
  EXPECT_THAT(error_of(make_node("Squeeze", 2), 13, data(iota(DType::kFloat32, {1, 3})), ints({1})),
              HasSubstr("cannot squeeze axis 1 of input [1,3]: its size is 3, not 1"));
  EXPECT_THAT(error_of(make_node("Squeeze", 2), 13, data(iota(DType::kFloat32, {1, 3})), ints({2})),
              HasSubstr("axis 2 is out of range [-2, 1] for rank 2"));
  EXPECT_THAT(error_of(make_node("Squeeze", 2), 13, data(iota(DType::kFloat32, {1, 3})),
                       data(Tensor(DType::kInt64, {1}))),
              HasSubstr("axes (input 1, 'in1') must be known at load time"));
}

TEST(ReferenceUnsqueeze, AxesIndexTheOutput) {
  // [2,3] with axes [-1, 0] (unsorted, negative) -> [1,2,3,1].
  EXPECT_EQ(run1(make_node("Unsqueeze", 2), 13, data(iota(DType::kBool, {2, 3})), ints({-1, 0})).shape(),
            (Shape{1, 2, 3, 1}));
  EXPECT_EQ(run1(with_attrs(make_node("Unsqueeze", 1), attr("axes", Ints{1, 3})), 11,
                 data(iota(DType::kFloat64, {2, 3})))
                .shape(),
            (Shape{2, 1, 3, 1}));
  // A scalar becomes [1].
  EXPECT_EQ(run1(make_node("Unsqueeze", 2), 13, data(Tensor::scalar<float>(5)), ints({0})).shape(),
            (Shape{1}));
}

TEST(ReferenceUnsqueeze, Errors) {
  EXPECT_THAT(error_of(make_node("Unsqueeze", 2), 13, data(iota(DType::kFloat32, {2})), ints({1, 1})),
              HasSubstr("axis [1,1] name axis 1 more than once"));
  EXPECT_THAT(error_of(make_node("Unsqueeze", 2), 13, data(iota(DType::kFloat32, {2})), ints({2})),
              HasSubstr("axis 2 is out of range [-2, 1] for rank 2"));
  EXPECT_THAT(error_of(make_node("Unsqueeze", 1), 11, data(iota(DType::kFloat32, {2}))),
              HasSubstr("required attribute 'axes' is missing"));
}

// -------------------------------------------------------------- Concat / Split

TEST(ReferenceConcat, JoinsAlongAxisIncludingEmptyInputs) {
  Node node = with_attrs(make_node("Concat", 3), attr("axis", -1));
  Tensor y = run1(node, 13, data(make(DType::kInt64, {2, 1}, {10, 20})), data(Tensor(DType::kInt64, {2, 0})),
                  data(make(DType::kInt64, {2, 2}, {1, 2, 3, 4})));
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(y.to_int64_vector(), (Ints{10, 1, 2, 20, 3, 4}));
  Tensor z = run1(with_attrs(make_node("Concat", 2), attr("axis", 0)), 13,
                  data(make(DType::kBool, {1, 2}, {1, 0})), data(make(DType::kBool, {2, 2}, {0, 1, 1, 1})));
  EXPECT_EQ(z.shape(), (Shape{3, 2}));
  EXPECT_EQ(z.to_int64_vector(), (Ints{1, 0, 0, 1, 1, 1}));
}

TEST(ReferenceConcat, Errors) {
  Node node = with_attrs(make_node("Concat", 2), attr("axis", 1));
  EXPECT_THAT(
      error_of(node, 13, data(iota(DType::kFloat32, {2, 1})), data(iota(DType::kFloat32, {3, 1}))),
      HasSubstr("input 1 has shape [3,1], incompatible with input 0 [2,1] for concatenation along axis 1"));
  EXPECT_THAT(error_of(node, 13, data(iota(DType::kFloat32, {2, 1})), data(iota(DType::kInt64, {2, 1}))),
              HasSubstr("input 1 is int64 but input 0 is float32"));
  EXPECT_THAT(
      error_of(with_attrs(make_node("Concat", 1), attr("axis", 2)), 13, data(iota(DType::kFloat32, {2, 1}))),
      HasSubstr("axis 2 is out of range [-2, 1]"));
}

TEST(ReferenceSplit, UnevenNumOutputsOpset18) {
  // 7 into 3: chunks of ceil(7/3) = 3, the last gets 1.
  Node node = with_attrs(make_node("Split", 1, 3), attr("num_outputs", 3));
  auto ys = run_node(node, 18, data(iota(DType::kInt64, {7})));
  ASSERT_EQ(ys.size(), 3u);
  EXPECT_EQ(ys[0].to_int64_vector(), (Ints{0, 1, 2}));
  EXPECT_EQ(ys[1].to_int64_vector(), (Ints{3, 4, 5}));
  EXPECT_EQ(ys[2].to_int64_vector(), (Ints{6}));
}

TEST(ReferenceSplit, SizesFromInputAttributeOrEqualParts) {
  // [2,3] split on axis 1 into [1,2]: [[0],[3]] and [[1,2],[4,5]].
  auto ys = run_node(with_attrs(make_node("Split", 2, 2), attr("axis", -1)), 13,
                     data(iota(DType::kInt32, {2, 3})), ints({1, 2}));
  EXPECT_EQ(ys[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(ys[0].to_int64_vector(), (Ints{0, 3}));
  EXPECT_EQ(ys[1].to_int64_vector(), (Ints{1, 2, 4, 5}));
  auto zs = run_node(with_attrs(make_node("Split", 1, 2), attr("split", Ints{3, 1})), 11,
                     data(iota(DType::kUInt8, {4})));
  EXPECT_EQ(zs[0].to_int64_vector(), (Ints{0, 1, 2}));
  EXPECT_EQ(zs[1].to_int64_vector(), (Ints{3}));
  auto ws = run_node(make_node("Split", 1, 2), 13, data(iota(DType::kFloat32, {4, 1})));
  EXPECT_EQ(ws[1].shape(), (Shape{2, 1}));
  EXPECT_EQ(ws[1].to_int64_vector(), (Ints{2, 3}));
  // Zero-size chunks of an empty input.
  auto es = run_node(make_node("Split", 2, 3), 13, data(Tensor(DType::kFloat32, {0})), ints({0, 0, 0}));
  EXPECT_EQ(es[2].shape(), (Shape{0}));
}

TEST(ReferenceSplit, Errors) {
  EXPECT_THAT(error_of(make_node("Split", 2, 2), 13, data(iota(DType::kFloat32, {5})), ints({2, 2})),
              HasSubstr("split sizes [2,2] sum to 4, not the axis dim 5 of input [5]"));
  EXPECT_THAT(error_of(make_node("Split", 1, 2), 13, data(iota(DType::kFloat32, {5}))),
              HasSubstr("cannot split the axis dim 5 of input [5] into 2 equal parts"));
  EXPECT_THAT(error_of(with_attrs(make_node("Split", 1, 4), attr("num_outputs", 4)), 18,
                       data(iota(DType::kFloat32, {5}))),
              HasSubstr("num_outputs 4 cannot split the axis dim 5"));
  EXPECT_THAT(error_of(make_node("Split", 2, 3), 13, data(iota(DType::kFloat32, {5})), ints({2, 3})),
              HasSubstr("give 2 chunks but the node has 3 outputs"));
}

// ---------------------------------------------------------------------- Slice

TEST(ReferenceSlice, NegativeStepsAndClamping) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  // x = 0..9; x[-1::-2] (end INT64_MIN clamps to -1) = 9,7,5,3,1.
  Tensor y = run1(make_node("Slice", 5), 13, data(iota(DType::kInt64, {10})), ints({-1}), ints({kMin}),
                  absent(), ints({-2}));
  EXPECT_EQ(y.to_int64_vector(), (Ints{9, 7, 5, 3, 1}));
  // x[3::-1] reaches index 0 only because a backward end clamps to -1, not 0.
  Tensor r = run1(make_node("Slice", 5), 13, data(iota(DType::kInt64, {10})), ints({3}), ints({kMin}),
                  absent(), ints({-1}));
  EXPECT_EQ(r.to_int64_vector(), (Ints{3, 2, 1, 0}));
  // x = arange(12).reshape(3,4); x[2:0:-1, 3:-10:-2] = rows 2,1 x cols 3,1
  // (-10 + 4 = -6 clamps to -1 for a negative step).
  Tensor z = run1(make_node("Slice", 5), 13, data(iota(DType::kInt64, {3, 4})), ints({2, 3}), ints({0, -10}),
                  ints({0, 1}), ints({-1, -2}));
  EXPECT_EQ(z.shape(), (Shape{2, 2}));
  EXPECT_EQ(z.to_int64_vector(), (Ints{11, 9, 7, 5}));
  // Start past the end gives an empty axis; a start beyond -dim clamps to 0;
  // INT64_MAX as end means "to the end"; a huge step takes one element.
  EXPECT_EQ(run1(make_node("Slice", 4), 13, data(iota(DType::kInt64, {3, 4})), ints({1000}), ints({1000}),
                 ints({1}))
                .shape(),
            (Shape{3, 0}));
  Tensor w = run1(make_node("Slice", 5), 13, data(iota(DType::kInt64, {3, 4})), ints({-100}), ints({kMax}),
                  ints({-1}), ints({kMax}));
  EXPECT_EQ(w.shape(), (Shape{3, 1}));
  EXPECT_EQ(w.to_int64_vector(), (Ints{0, 4, 8}));
  // Negative step that selects nothing: x[1:5:-1].
  EXPECT_EQ(run1(make_node("Slice", 5), 13, data(iota(DType::kInt64, {10})), ints({1}), ints({5}), absent(),
                 ints({-1}))
                .shape(),
            (Shape{0}));
}

TEST(ReferenceSlice, DefaultAxesAndOpset1Attributes) {
  // x[1:3, 0:-1] on arange(12).reshape(3,4) -> [[4,5,6],[8,9,10]].
  Tensor y =
      run1(make_node("Slice", 3), 13, data(iota(DType::kFloat32, {3, 4})), ints({1, 0}), ints({3, -1}));
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(y.to_int64_vector(), (Ints{4, 5, 6, 8, 9, 10}));
  Node node =
      with_attrs(make_node("Slice", 1), attr("starts", Ints{1}),
                 attr("ends", Ints{std::numeric_limits<std::int64_t>::max()}), attr("axes", Ints{-1}));
  Tensor z = run1(node, 9, data(iota(DType::kBool, {2, 2})));
  EXPECT_EQ(z.shape(), (Shape{2, 1}));
  EXPECT_EQ(z.to_int64_vector(), (Ints{1, 1}));
}

TEST(ReferenceSlice, Errors) {
  auto err = [](Ints starts, Ints ends, std::optional<Ints> axes, std::optional<Ints> steps) {
    return error_of(make_node("Slice", 5), 13, data(iota(DType::kFloat32, {3, 4})), ints(starts), ints(ends),
                    axes ? ints(*axes) : absent(), steps ? ints(*steps) : absent());
  };
  EXPECT_THAT(err({0}, {1}, std::nullopt, Ints{0}), HasSubstr("steps [0] contain 0"));
  EXPECT_THAT(err({0}, {1}, Ints{2}, std::nullopt),
              HasSubstr("axis 2 is out of range [-2, 1] for input shape [3,4]"));
  EXPECT_THAT(err({0, 0}, {1, 1}, Ints{1, -1}, std::nullopt), HasSubstr("axes [1,-1] name axis 1 twice"));
  EXPECT_THAT(err({0, 0}, {1}, std::nullopt, std::nullopt),
              HasSubstr("starts [0,0] and ends [1] differ in length"));
  EXPECT_THAT(error_of(make_node("Slice", 3), 13, data(iota(DType::kFloat32, {3})),
                       data(Tensor(DType::kInt64, {1})), ints({1})),
              HasSubstr("starts (input 1, 'in1') must be known at load time"));
}

// --------------------------------------------------------------------- Gather

TEST(ReferenceGather, NegativeIndicesOnAxis1) {
  // data [[0,1,2],[3,4,5]], indices [-1, 0] on axis 1 -> [[2,0],[5,3]].
  Node node = with_attrs(make_node("Gather", 2), attr("axis", 1));
  Tensor y = run1(node, 13, data(iota(DType::kInt64, {2, 3})), data(make(DType::kInt32, {2}, {-1, 0})));
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  EXPECT_EQ(y.to_int64_vector(), (Ints{2, 0, 5, 3}));
}

TEST(ReferenceGather, IndexShapeReplacesAxis) {
  // data [3,2], indices [[2,0],[-2,2]] on axis 0 -> [2,2,2]; rows 2,0,1,2.
  Tensor y = run1(make_node("Gather", 2), 13, data(make(DType::kBool, {3, 2}, {1, 0, 0, 1, 1, 1})),
                  ints({2, 0, -2, 2}));
  EXPECT_EQ(y.shape(), (Shape{4, 2}));
  EXPECT_EQ(y.to_int64_vector(), (Ints{1, 1, 1, 0, 0, 1, 1, 1}));
  Tensor z = run1(make_node("Gather", 2), 13, data(iota(DType::kFloat64, {3, 2})),
                  constant(make(DType::kInt64, {2, 2}, {2, 0, -2, 2})));
  EXPECT_EQ(z.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(z.to_int64_vector(), (Ints{4, 5, 0, 1, 2, 3, 4, 5}));
  // Scalar index drops the axis.
  EXPECT_EQ(run1(make_node("Gather", 2), 13, data(iota(DType::kInt8, {3, 2})),
                 data(Tensor::scalar<std::int64_t>(1)))
                .shape(),
            (Shape{2}));
}

TEST(ReferenceGather, Errors) {
  EXPECT_THAT(error_of(make_node("Gather", 2), 13, data(iota(DType::kFloat32, {3})), ints({3})),
              HasSubstr("index 3 is out of range [-3, 2] for axis 0 of data [3]"));
  // Indices computed at run time are checked by the kernel.
  EXPECT_THAT(error_of(make_node("Gather", 2), 13, data(iota(DType::kFloat32, {3})),
                       data(make(DType::kInt64, {1}, {-4}))),
              HasSubstr("node /test/Gather (Gather): index -4 is out of range"));
  EXPECT_THAT(error_of(make_node("Gather", 2), 13, data(iota(DType::kFloat32, {3})),
                       data(iota(DType::kFloat32, {1}))),
              HasSubstr("indices must be int64 or int32, got float32"));
}

// ------------------------------------------------------------ Expand / Range

TEST(ReferenceExpand, BidirectionalBroadcast) {
  // [3,1] by [2,1,6] -> [2,3,6]; row r of each copy is six times r.
  Tensor y = run1(make_node("Expand", 2), 13, data(make(DType::kInt64, {3, 1}, {1, 2, 3})), ints({2, 1, 6}));
  EXPECT_EQ(y.shape(), (Shape{2, 3, 6}));
  EXPECT_EQ(y.get_as_int(0), 1);
  EXPECT_EQ(y.get_as_int(17), 3);
  EXPECT_EQ(y.get_as_int(18 + 6), 2);
  Tensor z = run1(make_node("Expand", 2), 13, data(make(DType::kBool, {2}, {1, 0})), ints({2, 1}));
  EXPECT_EQ(z.shape(), (Shape{2, 2}));
  EXPECT_EQ(z.to_int64_vector(), (Ints{1, 0, 1, 0}));
  EXPECT_THAT(error_of(make_node("Expand", 2), 13, data(iota(DType::kFloat32, {3})), ints({2})),
              HasSubstr("cannot expand input [3] to shape [2]: dim 3 and 2 are incompatible"));
}

TEST(ReferenceRange, IntAndFloat) {
  Tensor y = run1(make_node("Range", 3), 11, constant(Tensor::scalar<std::int32_t>(10)),
                  constant(Tensor::scalar<std::int32_t>(6)), constant(Tensor::scalar<std::int32_t>(-3)));
  EXPECT_EQ(y.dtype(), DType::kInt32);
  EXPECT_EQ(y.to_int64_vector(), (Ints{10, 7}));
  Tensor z = run1(make_node("Range", 3), 11, constant(Tensor::scalar<float>(1)),
                  constant(Tensor::scalar<float>(2.25f)), constant(Tensor::scalar<float>(0.5f)));
  EXPECT_EQ(z.shape(), (Shape{3}));
  EXPECT_EQ(z.get_as_double(2), 2.0); // 1 + 2 * 0.5, exact in binary
  Tensor e = run1(make_node("Range", 3), 11, constant(Tensor::scalar<std::int64_t>(0)),
                  constant(Tensor::scalar<std::int64_t>(5)), constant(Tensor::scalar<std::int64_t>(-1)));
  EXPECT_EQ(e.shape(), (Shape{0}));
}

TEST(ReferenceRange, Errors) {
  EXPECT_THAT(error_of(make_node("Range", 3), 11, constant(Tensor::scalar<std::int64_t>(0)),
                       constant(Tensor::scalar<std::int64_t>(5)), constant(Tensor::scalar<std::int64_t>(0))),
              HasSubstr("delta must not be 0"));
  EXPECT_THAT(error_of(make_node("Range", 3), 11, constant(Tensor::scalar<std::int64_t>(0)),
                       data(Tensor::scalar<std::int64_t>(5)), constant(Tensor::scalar<std::int64_t>(1))),
              HasSubstr("limit (input 1, 'in1') must be known at load time"));
  EXPECT_THAT(error_of(make_node("Range", 3), 11, constant(Tensor::scalar<std::int64_t>(0)),
                       constant(Tensor::scalar<std::int32_t>(5)), constant(Tensor::scalar<std::int64_t>(1))),
              HasSubstr("limit is int32 but start is int64"));
}

// ---------------------------------------- ConstantOfShape / Shape / Constant

TEST(ReferenceConstantOfShape, FillsWithValueDtype) {
  Node node = with_attrs(make_node("ConstantOfShape", 1),
                         std::pair<std::string, AttrValue>{"value", make(DType::kInt32, {1}, {-7})});
  Tensor y = run1(node, 9, ints({2, 3}));
  EXPECT_EQ(y.dtype(), DType::kInt32);
  EXPECT_EQ(y.to_int64_vector(), (Ints(6, -7)));
  Tensor z = run1(make_node("ConstantOfShape", 1), 9, ints({}));
  EXPECT_EQ(z.dtype(), DType::kFloat32);
  EXPECT_EQ(z.shape(), Shape{});
  EXPECT_EQ(z.get_as_double(0), 0.0);
  EXPECT_THAT(error_of(make_node("ConstantOfShape", 1), 9, ints({2, -1})),
              HasSubstr("shape [2,-1] has negative dim -1"));
}

TEST(ReferenceShape, StartEndClamping) {
  auto shape_of = [](std::optional<std::int64_t> start, std::optional<std::int64_t> end) {
    Node node = make_node("Shape", 1);
    if (start) node.attrs.set("start", *start);
    if (end) node.attrs.set("end", *end);
    return run1(node, 15, data(Tensor(DType::kBool, {3, 4, 5}))).to_int64_vector();
  };
  EXPECT_EQ(shape_of(std::nullopt, std::nullopt), (Ints{3, 4, 5}));
  EXPECT_EQ(shape_of(-1, std::nullopt), (Ints{5}));
  EXPECT_EQ(shape_of(1, -1), (Ints{4}));
  EXPECT_EQ(shape_of(-10, 10), (Ints{3, 4, 5}));
  EXPECT_EQ(shape_of(2, 1), (Ints{}));
}

TEST(ReferenceConstant, ValueAttributes) {
  auto constant_of = [](std::string name, AttrValue value) {
    Node node = make_node("Constant", 0);
    node.attrs.set(name, std::move(value));
    return run1(std::move(node), 13);
  };
  Tensor ints_value = constant_of("value_ints", Ints{4, -5});
  EXPECT_EQ(ints_value.dtype(), DType::kInt64);
  EXPECT_EQ(ints_value.to_int64_vector(), (Ints{4, -5}));
  Tensor f = constant_of("value_float", 2.5f);
  EXPECT_EQ(f.shape(), Shape{});
  EXPECT_EQ(f.get_as_double(0), 2.5);
  EXPECT_EQ(constant_of("value_int", std::int64_t{3}).dtype(), DType::kInt64);
  EXPECT_EQ(constant_of("value_floats", std::vector<float>{1, 2}).shape(), (Shape{2}));
  Tensor b = constant_of("value", make(DType::kBool, {2}, {0, 1}));
  EXPECT_EQ(b.dtype(), DType::kBool);
  EXPECT_EQ(b.to_int64_vector(), (Ints{0, 1}));

  Node sparse = make_node("Constant", 0);
  sparse.attrs.set("sparse_value", make(DType::kFloat32, {1}, {1}));
  EXPECT_THAT(error_of(std::move(sparse), 13), HasSubstr("'sparse_value' is not supported"));
  Node two = make_node("Constant", 0);
  two.attrs.set("value_int", std::int64_t{1});
  two.attrs.set("value_float", 1.0f);
  EXPECT_THAT(error_of(std::move(two), 13), HasSubstr("exactly one value attribute is allowed"));
}

// ---------------------------------------------------- every DType, same cases

class ReferenceShapeOpsDType : public ::testing::TestWithParam<DType> {};

TEST_P(ReferenceShapeOpsDType, MovesValuesUnchanged) {
  const DType dt = GetParam();
  // x = arange(6).reshape(2,3) in dt (bool: 0,1,1,1,1,1).
  auto x = [dt] { return data(iota(dt, {2, 3})); };
  auto expect = [dt](const Tensor& y, const Ints& values) {
    EXPECT_EQ(y.dtype(), dt);
    EXPECT_EQ(y.to_int64_vector(), as_stored(dt, values));
  };
  expect(run1(make_node("Transpose", 1), 13, x()), {0, 3, 1, 4, 2, 5});
  expect(run1(make_node("Slice", 5), 13, x(), ints({2}), ints({-4}), ints({1}), ints({-2})), {2, 0, 5, 3});
  expect(run1(with_attrs(make_node("Gather", 2), attr("axis", 1)), 13, x(), ints({-1})), {2, 5});
  expect(run1(make_node("Expand", 2), 13, x(), ints({2, 2, 1})), {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5});
  expect(run1(with_attrs(make_node("Concat", 2), attr("axis", 0)), 13, x(), x()),
         {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5});
  auto parts = run_node(with_attrs(make_node("Split", 2, 2), attr("axis", 1)), 13, x(), ints({2, 1}));
  expect(parts[0], {0, 1, 3, 4});
  expect(parts[1], {2, 5});
  expect(run1(make_node("Reshape", 2), 13, x(), ints({-1})), {0, 1, 2, 3, 4, 5});
  expect(run1(make_node("Unsqueeze", 2), 13, x(), ints({0})), {0, 1, 2, 3, 4, 5});
  Node fill = make_node("ConstantOfShape", 1);
  fill.attrs.set("value", make(dt, {1}, {1}));
  expect(run1(std::move(fill), 9, ints({3})), {1, 1, 1});
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, ReferenceShapeOpsDType, ::testing::ValuesIn(kAllDTypes),
                         [](const ::testing::TestParamInfo<DType>& info) {
                           return std::string(dtype_name(info.param));
                         });

} // namespace
} // namespace tilescope::engine::reference
