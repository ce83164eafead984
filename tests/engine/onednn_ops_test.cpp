// onednn backend: every non-conv kernel family against the reference backend,
// each on a plain graph input and, where layouts matter, on a convolution's
// output (stored in the layout oneDNN chose, NHWC or blocked).
//
// Tolerances, relative to the output's magnitude:
//  - 0 for ops that only move or pick values (views, transpose, split, slice,
//    concat, max pooling, nearest resize);
//  - 1e-6 for one float32 rounding per output (add, mul, average pooling,
//    linear resize, batch norm): the reference rounds a double result once,
//    oneDNN computes in float32 (a few ulps);
//  - 1e-5 for exp-based ops (sigmoid, tanh, swish, softmax, exp), whose oneDNN
//    vector approximations are within a few float ulps;
//  - 2e-5 when a convolution feeds the op (see onednn_conv_test.cpp).
#include "onednn_test_util.h"

#include <gtest/gtest.h>

namespace tilescope::engine::onednn_test {
namespace {

constexpr double kExact = 0.0;
constexpr double kRounding = 1e-6;
constexpr double kTranscendental = 1e-5;
constexpr double kAfterConv = 2e-5;

using Ints = std::vector<std::int64_t>;

// The value the op under test reads: the graph input itself, or a 3x3 conv of
// it (same shape, channels preserved) so that it arrives in oneDNN's layout.
std::string source(GraphBuilder& b, const Shape& shape, bool after_conv) {
  const std::string x = b.input("x", shape);
  if (!after_conv) return x;
  const std::int64_t c = shape[1];
  Shape w{c, c};
  for (std::size_t i = 2; i < shape.size(); ++i)
    w.push_back(3);
  Node& n =
      b.node("Conv", {x, b.random_constant("src_w", w, 0.3f), b.random_constant("src_b", {c})}, {"src"});
  n.attrs.set("pads", Ints(2 * (shape.size() - 2), 1));
  return "src";
}

std::string variant(bool after_conv) { return after_conv ? ",after_conv" : ""; }
double tolerance(bool after_conv, double own) { return after_conv ? std::max(own, kAfterConv) : own; }

TEST(OnednnOps, Eltwise) {
  struct Op {
    std::string type;
    double tolerance;
    std::function<void(Node&)> attrs;
  };
  const std::vector<Op> ops{
      {"Relu", kExact, nullptr},
      {"LeakyRelu", kRounding, [](Node& n) { n.attrs.set("alpha", 0.2f); }},
      {"Sigmoid", kTranscendental, nullptr},
      {"HardSigmoid", kRounding, [](Node& n) { n.attrs.set("alpha", 0.3f); }},
      {"HardSwish", kRounding, nullptr},
      {"Tanh", kTranscendental, nullptr},
      {"Exp", kTranscendental, nullptr},
  };
  for (const Op& op : ops) {
    for (bool after_conv : {false, true}) {
      const Shape shape{1, 16, 10, 12};
      const std::string name = op.type + "(" + shape_str(shape) + variant(after_conv) + ")";
      if (!selected(name)) continue;
      GraphBuilder b(seed_of(name));
      Node& n = b.node(op.type, {source(b, shape, after_conv)}, {"y"});
      if (op.attrs) op.attrs(n);
      b.output("y");
      expect_matches_reference(name, b.build(), tolerance(after_conv, op.tolerance));
    }
  }
}

// Sqrt needs non-negative inputs: Relu first. Clip in both opset forms. Pow
// with a constant scalar exponent (oneDNN eltwise) and with a tensor one
// (fallback).
TEST(OnednnOps, SqrtClipPow) {
  for (const std::string& op : {"Sqrt", "Clip11", "Clip6", "ClipNoMax", "Pow2", "Pow3", "PowTensor"}) {
    const std::string name = op + "([1,8,9,9])";
    if (!selected(name)) continue;
    GraphBuilder b(seed_of(name), op == "Clip6" ? 6 : 17);
    const std::string x = b.input("x", {1, 8, 9, 9});
    if (op == "Sqrt") {
      b.node("Relu", {x}, {"r"});
      b.node("Sqrt", {"r"}, {"y"});
    } else if (op == "Clip11") {
      b.node("Clip", {x, b.constant("lo", Tensor::scalar(-0.3f)), b.constant("hi", Tensor::scalar(0.6f))},
             {"y"});
    } else if (op == "Pow2" || op == "Pow3") {
      b.node("Pow", {x, b.constant("e", Tensor::scalar(op == "Pow2" ? 2.0f : 3.0f))}, {"y"});
    } else if (op == "PowTensor") {
      b.node("Pow", {x, b.constant("e", tensor_of<float>({9}, {1, 2, 3, 1, 2, 3, 1, 2, 3}))}, {"y"});
    } else if (op == "ClipNoMax") {
      b.node("Clip", {x, b.constant("lo", Tensor::scalar(-0.3f))}, {"y"});
    } else {
      Node& n = b.node("Clip", {x}, {"y"});
      n.attrs.set("min", -0.2f);
      n.attrs.set("max", 0.4f);
    }
    b.output("y");
    expect_matches_reference(name, b.build(), kRounding);
  }
}

// x * Sigmoid(x) becomes one swish step; a Sigmoid read twice must not.
TEST(OnednnOps, SwishPattern) {
  for (const std::string& form : {"x*sig", "sig*x", "sig_reused"}) {
    const std::string name = "Swish[" + form + "]([1,16,8,8],after_conv)";
    if (!selected(name)) continue;
    GraphBuilder b(seed_of(name));
    const std::string x = source(b, {1, 16, 8, 8}, true);
    b.node("Sigmoid", {x}, {"s"});
    if (form == "sig*x")
      b.node("Mul", {"s", x}, {"y"});
    else
      b.node("Mul", {x, "s"}, {"y"});
    b.output("y");
    if (form == "sig_reused") b.output("s");
    expect_matches_reference(name, b.build(), kAfterConv);
  }
}

TEST(OnednnOps, Binary) {
  struct Case {
    std::string op;
    Shape a, b;
    bool b_constant;
  };
  const Shape full{1, 8, 6, 7};
  const std::vector<Case> cases{
      {"Add", full, full, false},
      {"Sub", full, full, false},
      {"Mul", full, full, false},
      {"Div", full, full, true},
      {"Add", full, {1, 8, 1, 1}, true},
      {"Mul", full, {8, 1, 1}, true},
      {"Sub", full, {}, true},
      {"Div", full, {7}, true},
      {"Add", {1, 8, 1, 1}, full, false},
      {"Mul", {7}, full, false},
      {"Sub", {1, 8, 1, 1}, full, false},
      {"Div", {1, 1, 6, 1}, full, false},
      {"Add", {1, 8, 1, 7}, {1, 1, 6, 1}, false}, // both broadcast: fallback
      {"Add", {2, 3}, {2, 3}, false},
  };
  for (const Case& c : cases) {
    for (bool after_conv : {false, true}) {
      if (after_conv && c.a.size() != 4) continue;
      const std::string name = c.op + "(" + shape_str(c.a) + "," + shape_str(c.b) +
                               (c.b_constant ? ",const" : "") + variant(after_conv) + ")";
      if (!selected(name)) continue;
      GraphBuilder b(seed_of(name));
      const std::string a = after_conv && c.a == full ? source(b, c.a, true) : b.input("a", c.a);
      std::string rhs;
      if (c.b_constant) {
        // Divisors away from zero keep the relative error meaningful.
        rhs = b.constant("b", random_tensor(c.b, b.rng(), 0.5f, 2.0f));
      } else {
        rhs = b.input("b", c.b);
      }
      b.node(c.op, {a, rhs}, {"y"});
      b.output("y");
      expect_matches_reference(name, b.build(), tolerance(after_conv, kRounding));
    }
  }
}

TEST(OnednnOps, Pooling) {
  struct Case {
    std::string op;
    Ints kernel, strides, pads;
    bool ceil_mode = false;
    bool include_pad = false;
    Ints dilations = {};
  };
  const std::vector<Case> cases{
      {"MaxPool", {2, 2}, {2, 2}, {0, 0, 0, 0}},
      {"MaxPool", {5, 5}, {1, 1}, {2, 2, 2, 2}}, // YOLO SPPF
      {"MaxPool", {3, 3}, {2, 2}, {1, 1, 1, 1}},
      {"MaxPool", {3, 3}, {2, 2}, {0, 0, 0, 0}, true},
      {"MaxPool", {3, 3}, {1, 1}, {2, 2, 2, 2}, false, false, {2, 2}},
      {"AveragePool", {2, 2}, {2, 2}, {0, 0, 0, 0}},
      {"AveragePool", {3, 3}, {2, 2}, {1, 1, 1, 1}},
      {"AveragePool", {3, 3}, {2, 2}, {1, 1, 1, 1}, false, true},
      {"AveragePool", {3, 3}, {2, 2}, {0, 0, 0, 0}, true},
      {"AveragePool", {3, 3}, {2, 2}, {1, 1, 1, 1}, true, true}, // ceil + include_pad: fallback
  };
  for (const Case& c : cases) {
    for (bool after_conv : {false, true}) {
      const Shape shape{1, 8, 13, 14};
      std::string name = c.op + "(k=" + std::to_string(c.kernel[0]) + ",s=" + std::to_string(c.strides[0]) +
                         ",p=" + std::to_string(c.pads[0]) + (c.ceil_mode ? ",ceil" : "") +
                         (c.include_pad ? ",include_pad" : "") + (c.dilations.empty() ? "" : ",d=2") + "," +
                         shape_str(shape) + variant(after_conv) + ")";
      if (!selected(name)) continue;
      GraphBuilder b(seed_of(name));
      Node& n = b.node(c.op, {source(b, shape, after_conv)}, {"y"});
      n.attrs.set("kernel_shape", c.kernel);
      n.attrs.set("strides", c.strides);
      n.attrs.set("pads", c.pads);
      if (c.ceil_mode) n.attrs.set("ceil_mode", std::int64_t{1});
      if (c.include_pad) n.attrs.set("count_include_pad", std::int64_t{1});
      if (!c.dilations.empty()) n.attrs.set("dilations", c.dilations);
      b.output("y");
      expect_matches_reference(name, b.build(),
                               tolerance(after_conv, c.op == "MaxPool" ? kExact : kRounding));
    }
  }
  for (bool after_conv : {false, true}) {
    const std::string name = "GlobalAveragePool([1,16,7,9]" + variant(after_conv) + ")";
    if (!selected(name)) continue;
    GraphBuilder b(seed_of(name));
    b.node("GlobalAveragePool", {source(b, {1, 16, 7, 9}, after_conv)}, {"y"});
    b.output("y");
    expect_matches_reference(name, b.build(), tolerance(after_conv, kRounding));
  }
}

TEST(OnednnOps, ConcatSplitSlice) {
  for (bool after_conv : {false, true}) {
    for (std::int64_t axis : {1, 2, -1}) {
      const std::string name =
          "Concat(axis=" + std::to_string(axis) + ",3 inputs" + variant(after_conv) + ")";
      if (!selected(name)) continue;
      GraphBuilder b(seed_of(name));
      const std::string a = source(b, {1, 8, 6, 6}, after_conv);
      const std::string c = b.input("c", {1, 8, 6, 6});
      b.node("Relu", {a}, {"r"});
      Node& n = b.node("Concat", {a, c, "r"}, {"y"});
      n.attrs.set("axis", axis);
      b.output("y");
      expect_matches_reference(name, b.build(), tolerance(after_conv, kExact));
    }
    for (const Ints& sizes : {Ints{8, 8}, Ints{4, 12}, Ints{2, 6, 8}}) {
      const std::string name = "Split(axis=1,sizes=" + shape_str(sizes) + variant(after_conv) + ")";
      if (!selected(name)) continue;
      GraphBuilder b(seed_of(name));
      std::vector<std::string> outs;
      for (std::size_t i = 0; i < sizes.size(); ++i)
        outs.push_back("y" + std::to_string(i));
      const std::string split =
          b.constant("sizes", tensor_of<std::int64_t>({static_cast<std::int64_t>(sizes.size())}, sizes));
      b.node("Split", {source(b, {1, 16, 5, 6}, after_conv), split}, outs).attrs.set("axis", std::int64_t{1});
      for (const std::string& o : outs)
        b.output(o);
      expect_matches_reference(name, b.build(), tolerance(after_conv, kExact));
    }
    // Concat of Split views: in order (merged into one copy), swapped, and with
    // another tensor between them.
    for (const std::string order : {"0,1,2", "1,0,2", "0,x,1", "2,1"}) {
      const std::string name = "Split+Concat(order=" + order + variant(after_conv) + ")";
      if (!selected(name)) continue;
      GraphBuilder b(seed_of(name));
      const std::string x = source(b, {1, 12, 5, 6}, after_conv);
      b.node("Split", {x, b.constant("sizes", tensor_of<std::int64_t>({3}, {4, 4, 4}))}, {"s0", "s1", "s2"})
          .attrs.set("axis", std::int64_t{1});
      b.node("Relu", {x}, {"r"});
      std::vector<std::string> parts;
      for (char ch : order) {
        if (ch == 'x') parts.push_back("r");
        if (ch >= '0' && ch <= '2') parts.push_back(std::string("s") + ch);
      }
      b.node("Concat", parts, {"y"}).attrs.set("axis", std::int64_t{1});
      b.output("y");
      expect_matches_reference(name, b.build(), tolerance(after_conv, kExact));
    }
    struct SliceCase {
      Ints starts, ends, axes, steps;
    };
    const std::vector<SliceCase> slices{{{0}, {8}, {1}, {1}},
                                        {{8}, {16}, {1}, {1}},
                                        {{1, -4}, {4, 100}, {2, 3}, {1, 1}},
                                        {{-3}, {-1}, {-1}, {1}},
                                        {{0}, {16}, {1}, {2}}}; // step 2: fallback
    for (const SliceCase& s : slices) {
      const std::string name = "Slice(starts=" + shape_str(s.starts) + ",ends=" + shape_str(s.ends) +
                               ",axes=" + shape_str(s.axes) + ",steps=" + shape_str(s.steps) +
                               variant(after_conv) + ")";
      if (!selected(name)) continue;
      GraphBuilder b(seed_of(name));
      auto ints = [&](const std::string& n, const Ints& v) {
        return b.constant(n, Tensor::from<std::int64_t>({static_cast<std::int64_t>(v.size())},
                                                        std::span<const std::int64_t>(v)));
      };
      b.node("Slice",
             {source(b, {1, 16, 5, 6}, after_conv), ints("st", s.starts), ints("en", s.ends),
              ints("ax", s.axes), ints("sp", s.steps)},
             {"y"});
      b.output("y");
      expect_matches_reference(name, b.build(), tolerance(after_conv, kExact));
    }
  }
}

TEST(OnednnOps, Resize) {
  struct Case {
    std::string mode, transform, nearest;
    float scale;
    bool use_sizes = false;
  };
  const std::vector<Case> cases{
      {"nearest", "asymmetric", "floor", 2.0f}, // Ultralytics' Upsample
      {"nearest", "half_pixel", "round_prefer_floor", 2.0f},
      {"nearest", "asymmetric", "round_prefer_ceil", 3.0f},
      {"nearest", "align_corners", "round_prefer_floor", 2.0f},
      {"nearest", "half_pixel", "round_prefer_floor", 0.5f},
      {"linear", "half_pixel", "", 2.0f},
      {"linear", "pytorch_half_pixel", "", 2.0f},
      {"linear", "align_corners", "", 2.0f},
      {"linear", "asymmetric", "", 2.0f},
      {"linear", "half_pixel", "", 1.5f, true},
  };
  for (const Case& c : cases) {
    for (bool after_conv : {false, true}) {
      const Shape shape{1, 8, 6, 8};
      std::string name = "Resize(" + c.mode + "," + c.transform + (c.nearest.empty() ? "" : "," + c.nearest) +
                         ",x" + std::to_string(c.scale).substr(0, 3) + (c.use_sizes ? ",sizes" : "") +
                         variant(after_conv) + ")";
      if (!selected(name)) continue;
      GraphBuilder b(seed_of(name));
      const std::string x = source(b, shape, after_conv);
      std::vector<std::string> inputs{x, ""};
      if (c.use_sizes) {
        inputs.push_back("");
        inputs.push_back(b.constant("sizes", tensor_of<std::int64_t>({4}, {1, 8, 9, 12})));
      } else {
        inputs.push_back(b.constant("scales", tensor_of<float>({4}, {1, 1, c.scale, c.scale})));
      }
      Node& n = b.node("Resize", inputs, {"y"});
      n.attrs.set("mode", c.mode);
      n.attrs.set("coordinate_transformation_mode", c.transform);
      if (!c.nearest.empty()) n.attrs.set("nearest_mode", c.nearest);
      b.output("y");
      const double own = c.mode == "nearest" ? kExact : kRounding;
      expect_matches_reference(name, b.build(), tolerance(after_conv, own));
    }
  }
  const std::string name = "Upsample(opset9,nearest,x2)";
  if (selected(name)) {
    GraphBuilder b(seed_of(name), 9);
    b.node("Upsample",
           {b.input("x", {1, 4, 5, 5}), b.constant("scales", tensor_of<float>({4}, {1, 1, 2, 2}))}, {"y"});
    b.output("y");
    expect_matches_reference(name, b.build(), kExact);
  }
}

TEST(OnednnOps, SoftmaxMatMulBatchNorm) {
  for (std::int64_t opset : {11, 13}) {
    for (std::int64_t axis : {1, -1}) {
      const std::string name =
          "Softmax(opset=" + std::to_string(opset) + ",axis=" + std::to_string(axis) + ",[1,4,16,10])";
      if (!selected(name)) continue;
      GraphBuilder b(seed_of(name), opset);
      Node& n = b.node("Softmax", {b.input("x", {1, 4, 16, 10})}, {"y"});
      n.attrs.set("axis", axis);
      b.output("y");
      expect_matches_reference(name, b.build(), kTranscendental);
    }
  }
  const std::vector<std::pair<Shape, Shape>> matmuls{{{5, 7}, {7, 3}},
                                                     {{2, 3, 5, 7}, {7, 4}},
                                                     {{3, 5, 7}, {1, 7, 4}},
                                                     {{4, 5, 7}, {4, 7, 2}},
                                                     {{7}, {7, 3}}};
  for (const auto& [a, w] : matmuls) {
    for (bool constant_b : {true, false}) {
      const std::string name =
          "MatMul(" + shape_str(a) + "," + shape_str(w) + (constant_b ? ",const" : "") + ")";
      if (!selected(name)) continue;
      GraphBuilder b(seed_of(name));
      const std::string rhs = constant_b ? b.random_constant("w", w) : b.input("w", w);
      b.node("MatMul", {b.input("a", a), rhs}, {"y"});
      b.output("y");
      expect_matches_reference(name, b.build(), kAfterConv);
    }
  }
  for (bool after_conv : {false, true}) {
    const std::string name = "BatchNormalization([1,8,5,6]" + variant(after_conv) + ")";
    if (!selected(name)) continue;
    GraphBuilder b(seed_of(name));
    const std::string x = source(b, {1, 8, 5, 6}, after_conv);
    b.node("BatchNormalization",
           {x, b.random_constant("g", {8}), b.random_constant("beta", {8}), b.random_constant("m", {8}),
            b.constant("v", random_tensor({8}, b.rng(), 0.5f, 2.0f))},
           {"y"});
    b.last_node().attrs.set("epsilon", 1e-3f);
    b.output("y");
    expect_matches_reference(name, b.build(), tolerance(after_conv, kRounding));
  }
}

TEST(OnednnOps, ViewsAndTranspose) {
  for (bool after_conv : {false, true}) {
    const Shape shape{1, 8, 4, 6};
    const std::vector<std::pair<std::string, std::function<void(GraphBuilder&, const std::string&)>>> cases{
        {"Reshape",
         [](GraphBuilder& b, const std::string& x) {
           b.node("Reshape", {x, b.constant("shape", tensor_of<std::int64_t>({3}, {1, 8, -1}))}, {"y"});
         }},
        {"Flatten",
         [](GraphBuilder& b, const std::string& x) {
           b.node("Flatten", {x}, {"y"}).attrs.set("axis", std::int64_t{2});
         }},
        {"Unsqueeze+Squeeze",
         [](GraphBuilder& b, const std::string& x) {
           b.node("Unsqueeze", {x, b.constant("ax", tensor_of<std::int64_t>({1}, {0}))}, {"u"});
           b.node("Squeeze", {"u", b.constant("ax2", tensor_of<std::int64_t>({1}, {0}))}, {"y"});
         }},
        {"Identity", [](GraphBuilder& b, const std::string& x) { b.node("Identity", {x}, {"y"}); }},
        // YOLOv5's head: the channel dim split in two (a view of an NHWC conv
        // output), read by an eltwise op and a Transpose.
        {"Reshape(split C)+Sigmoid+Transpose",
         [](GraphBuilder& b, const std::string& x) {
           b.node("Reshape", {x, b.constant("shape", tensor_of<std::int64_t>({5}, {1, 2, 4, 4, 6}))}, {"v"});
           b.node("Sigmoid", {"v"}, {"s"});
           b.node("Transpose", {"s"}, {"y"}).attrs.set("perm", Ints{0, 1, 3, 4, 2});
           b.output("v");
         }},
        {"Transpose(0,2,3,1)",
         [](GraphBuilder& b, const std::string& x) {
           b.node("Transpose", {x}, {"y"}).attrs.set("perm", Ints{0, 2, 3, 1});
         }},
        {"Transpose(3,1,0,2)",
         [](GraphBuilder& b, const std::string& x) {
           b.node("Transpose", {x}, {"y"}).attrs.set("perm", Ints{3, 1, 0, 2});
         }},
        {"Transpose(default)",
         [](GraphBuilder& b, const std::string& x) { b.node("Transpose", {x}, {"y"}); }},
        // A view read in place by a later in-place op must not corrupt its source.
        {"Reshape+Relu",
         [](GraphBuilder& b, const std::string& x) {
           b.node("Reshape", {x, b.constant("shape", tensor_of<std::int64_t>({2}, {8, -1}))}, {"v"});
           b.node("Relu", {"v"}, {"y"});
           b.node("Sigmoid", {x}, {"z"});
           b.output("z");
         }},
    };
    for (const auto& [label, make] : cases) {
      const std::string name = label + "(" + shape_str(shape) + variant(after_conv) + ")";
      if (!selected(name)) continue;
      GraphBuilder b(seed_of(name));
      make(b, source(b, shape, after_conv));
      b.output("y");
      expect_matches_reference(name, b.build(), tolerance(after_conv, kTranscendental));
    }
  }
}

// Ops without a oneDNN kernel run their reference kernel between oneDNN steps.
TEST(OnednnOps, FallbackBetweenOnednnSteps) {
  const std::string name = "Fallback(ReduceMean,Pow,Pad,Expand,Gather between convs)";
  if (!selected(name)) return;
  GraphBuilder b(seed_of(name));
  const std::string x = source(b, {1, 8, 6, 6}, true);
  b.node("ReduceMean", {x}, {"m"}).attrs.set("axes", Ints{2, 3});
  b.node("Pow", {x, b.constant("two", Tensor::scalar(2.0f))}, {"p"});
  b.node("Pad", {"p", b.constant("pads", tensor_of<std::int64_t>({8}, {0, 0, 1, 1, 0, 0, 1, 1}))},
         {"padded"});
  b.node("Expand", {"m", b.constant("shape", tensor_of<std::int64_t>({4}, {1, 8, 8, 8}))}, {"e"});
  b.node("Add", {"padded", "e"}, {"sum"});
  b.node("Gather", {"sum", b.constant("idx", tensor_of<std::int64_t>({2}, {3, 1}))}, {"y"})
      .attrs.set("axis", std::int64_t{1});
  b.output("y");
  b.output("m");
  expect_matches_reference(name, b.build(), kAfterConv);
}

} // namespace
} // namespace tilescope::engine::onednn_test
