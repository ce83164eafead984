// Small YOLO-shaped graphs for the onednn backend's whole-graph tests
// (onednn_graph_test.cpp, onednn_bf16_test.cpp): the Ultralytics Conv block,
// C2f, an SPPF/upsample neck and a YOLOv8 detect head in miniature.
#pragma once

#include "onednn_test_util.h"

#include <string>
#include <vector>

namespace tilescope::engine::onednn_test {

using Ints = std::vector<std::int64_t>;

// FusedConv with SiLU (the Ultralytics Conv block), "same" padding.
inline std::string conv_silu(GraphBuilder& b, const std::string& x, std::int64_t in, std::int64_t out,
                             std::int64_t k, std::int64_t stride, const std::string& name,
                             const std::string& sum = "") {
  std::vector<std::string> inputs{x, b.random_constant(name + "_w", {out, in, k, k}, 1.0f / k),
                                  b.random_constant(name + "_b", {out}, 0.1f)};
  if (!sum.empty()) inputs.push_back(sum);
  Node& n = b.node("FusedConv", inputs, {name}, "tilescope");
  n.attrs.set("pads", Ints(4, k / 2));
  n.attrs.set("strides", Ints{stride, stride});
  n.attrs.set("activation", std::string("silu"));
  return name;
}

// C2f (YOLOv8): cv1 -> Split in two -> bottlenecks with residual on the second
// half -> Concat of all parts -> cv2.
inline std::string c2f(GraphBuilder& b, const std::string& x, std::int64_t c, int blocks,
                       const std::string& name) {
  const std::int64_t h = c / 2;
  conv_silu(b, x, c, c, 1, 1, name + "_cv1");
  b.node("Split", {name + "_cv1", b.constant(name + "_split", tensor_of<std::int64_t>({2}, {h, h}))},
         {name + "_a", name + "_b"})
      .attrs.set("axis", std::int64_t{1});
  std::vector<std::string> parts{name + "_a", name + "_b"};
  std::string last = name + "_b";
  for (int i = 0; i < blocks; ++i) {
    const std::string m = name + "_m" + std::to_string(i);
    conv_silu(b, last, h, h, 3, 1, m + "_cv1");
    last = conv_silu(b, m + "_cv1", h, h, 3, 1, m + "_cv2", last);
    parts.push_back(last);
  }
  b.node("Concat", parts, {name + "_cat"}).attrs.set("axis", std::int64_t{1});
  return conv_silu(b, name + "_cat", h * static_cast<std::int64_t>(parts.size()), c, 1, 1, name + "_cv2");
}

// A YOLOv8-like neck piece: conv -> C2f -> SPPF-style max pools -> upsample ->
// concat with an earlier feature -> C2f -> conv.
inline Graph neck_graph(std::uint32_t seed) {
  GraphBuilder b(seed);
  const std::string x = b.input("x", {1, 3, 32, 32});
  conv_silu(b, x, 3, 16, 3, 2, "stem"); // [1,16,16,16]
  const std::string f1 = c2f(b, "stem", 16, 2, "c2f1");
  conv_silu(b, f1, 16, 32, 3, 2, "down"); // [1,32,8,8]
  const std::string f2 = c2f(b, "down", 32, 1, "c2f2");
  b.node("MaxPool", {f2}, {"pool"}).attrs.set("kernel_shape", Ints{5, 5});
  b.last_node().attrs.set("pads", Ints{2, 2, 2, 2});
  b.node("Concat", {f2, "pool"}, {"sppf"}).attrs.set("axis", std::int64_t{1});
  b.node("Resize", {"sppf", "", b.constant("scales", tensor_of<float>({4}, {1, 1, 2, 2}))}, {"up"});
  b.last_node().attrs.set("mode", std::string("nearest"));
  b.last_node().attrs.set("coordinate_transformation_mode", std::string("asymmetric"));
  b.last_node().attrs.set("nearest_mode", std::string("floor"));
  b.node("Concat", {"up", f1}, {"cat"}).attrs.set("axis", std::int64_t{1}); // [1,80,16,16]
  const std::string f3 = c2f(b, "cat", 80, 1, "c2f3");
  b.node("Conv", {f3, b.random_constant("head_w", {8, 80, 1, 1}, 0.1f)}, {"head"});
  b.output("head");
  b.output("sppf");
  return b.build();
}

// The YOLOv8 detection head in miniature (reg_max 4, 3 classes, 3 scales):
// per-scale Concat -> Reshape (the Concat writes plain for the Reshape), Concat
// of scales, Split into views, DFL (Reshape -> Transpose -> Softmax -> Conv),
// box decoding with Slice/Sub/Add/Mul, Sigmoid, and the final Concat written
// straight into the returned output.
inline Graph head_graph(std::uint32_t seed) {
  GraphBuilder b(seed);
  const std::vector<std::int64_t> sizes{8, 4, 2};
  std::vector<std::string> levels;
  std::int64_t anchors = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const std::string s = std::to_string(i);
    const std::int64_t hw = sizes[i];
    const std::string x = b.input("p" + s, {1, 8, hw, hw});
    const std::string box = conv_silu(b, x, 8, 16, 3, 1, "box" + s);
    b.node("Conv", {box, b.random_constant("box_out_w" + s, {16, 16, 1, 1}, 0.3f)}, {"box_out" + s});
    const std::string cls = conv_silu(b, x, 8, 8, 3, 1, "cls" + s);
    b.node("Conv", {cls, b.random_constant("cls_out_w" + s, {3, 8, 1, 1}, 0.3f)}, {"cls_out" + s});
    b.node("Concat", {"box_out" + s, "cls_out" + s}, {"level" + s}).attrs.set("axis", std::int64_t{1});
    b.node("Reshape", {"level" + s, b.constant("flat" + s, tensor_of<std::int64_t>({3}, {1, 19, -1}))},
           {"flat_level" + s});
    levels.push_back("flat_level" + s);
    anchors += hw * hw;
  }
  b.node("Concat", levels, {"all"}).attrs.set("axis", std::int64_t{2}); // [1,19,84]
  b.node("Split", {"all", b.constant("split", tensor_of<std::int64_t>({2}, {16, 3}))}, {"box", "cls"})
      .attrs.set("axis", std::int64_t{1});
  b.node("Reshape", {"box", b.constant("dfl_shape", tensor_of<std::int64_t>({4}, {1, 4, 4, anchors}))},
         {"dfl_in"});
  b.node("Transpose", {"dfl_in"}, {"dfl_t"}).attrs.set("perm", Ints{0, 2, 1, 3});
  b.node("Softmax", {"dfl_t"}, {"dfl_p"}).attrs.set("axis", std::int64_t{1});
  b.node("Conv", {"dfl_p", b.constant("dfl_w", tensor_of<float>({1, 4, 1, 1}, {0, 1, 2, 3}))}, {"dfl_c"});
  b.node("Reshape", {"dfl_c", b.constant("dist_shape", tensor_of<std::int64_t>({3}, {1, 4, anchors}))},
         {"dist"});
  auto ints = [&](const std::string& n, std::vector<std::int64_t> v) {
    return b.constant(n, tensor_of<std::int64_t>({static_cast<std::int64_t>(v.size())}, v));
  };
  b.node("Slice", {"dist", ints("lt_s", {0}), ints("lt_e", {2}), ints("lt_a", {1})}, {"lt"});
  b.node("Slice", {"dist", ints("rb_s", {2}), ints("rb_e", {4}), ints("rb_a", {1})}, {"rb"});
  const std::string anchor_points =
      b.constant("anchors", random_tensor({1, 2, anchors}, b.rng(), 0.0f, 8.0f));
  b.node("Sub", {anchor_points, "lt"}, {"x1y1"});
  b.node("Add", {anchor_points, "rb"}, {"x2y2"});
  b.node("Add", {"x1y1", "x2y2"}, {"c_sum"});
  b.node("Div", {"c_sum", b.constant("two", Tensor::scalar(2.0f))}, {"cxy"});
  b.node("Sub", {"x2y2", "x1y1"}, {"wh"});
  b.node("Concat", {"cxy", "wh"}, {"dbox"}).attrs.set("axis", std::int64_t{1});
  b.node("Mul", {"dbox", b.constant("strides", random_tensor({1, anchors}, b.rng(), 8.0f, 32.0f))},
         {"scaled"});
  b.node("Sigmoid", {"cls"}, {"scores"});
  b.node("Concat", {"scaled", "scores"}, {"output0"}).attrs.set("axis", std::int64_t{1});
  b.output("output0");
  return b.build();
}

} // namespace tilescope::engine::onednn_test
