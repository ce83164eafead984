// TF op -> ONNX-style ops (opset 18), one lowering per TF op.
//
// Layout: TF's image ops default to channels-last (data_format NHWC); the
// engine's Conv, pools and Resize are channels-first. A NHWC op is lowered as
// Transpose(NHWC->NCHW) -> op -> Transpose(NCHW->NHWC), which keeps every TF
// value's meaning (and name) intact; simplify() then cancels the Transpose
// pairs that meet between two such ops. Graphs converted from ONNX by onnx-tf
// (the default NanoDet model is one) keep NCHW values and wrap every Conv2D in
// Transposes themselves, which cancel against ours the same way.
//
// Padding: TF 'SAME' pads ceil(in/stride) outputs with the odd element at the
// end, which is exactly ONNX auto_pad SAME_UPPER; 'VALID' is no padding;
// 'EXPLICIT' takes explicit_paddings (pairs per dim, in data_format order).
#include "import/tfjs_converter.h"

#include <algorithm>
#include <limits>

namespace tilescope::engine::tfjs {
namespace {

// --- helpers ---------------------------------------------------------------------

bool is_nchw(const TfNode& node) {
  const std::string format = node.attrs.get_string("data_format", "NHWC");
  if (format != "NHWC" && format != "NCHW")
    node.fail("data_format '" + format + "' is not supported (NHWC, NCHW)");
  return format == "NCHW";
}

std::vector<std::int64_t> int_values(const Tensor& t) { return t.to_int64_vector(); }

std::int64_t scalar_int(Converter& c, const TfNode& node, std::size_t i) {
  const Tensor& t = c.require_constant(node, i);
  if (t.size() != 1)
    node.fail("input " + std::to_string(i) + " must be a scalar, got shape " + shape_str(t.shape()));
  return t.get_as_int(0);
}

// The [h, w] entries of a 4-entry NHWC/NCHW attribute such as strides.
std::vector<std::int64_t> spatial(const TfNode& node, const std::string& attr, bool nchw,
                                  std::int64_t fallback) {
  std::vector<std::int64_t> v = node.attrs.get_ints(attr);
  if (v.empty()) return {fallback, fallback};
  if (v.size() != 4)
    node.fail("attribute '" + attr + "' has " + std::to_string(v.size()) + " entries, expected 4");
  return nchw ? std::vector<std::int64_t>{v[2], v[3]} : std::vector<std::int64_t>{v[1], v[2]};
}

// Sets auto_pad or pads on a Conv/pool node from TF's padding attributes.
void set_padding(const TfNode& node, bool nchw, Attributes& attrs) {
  const std::string padding = node.attrs.get_string("padding", "VALID");
  if (padding == "SAME") {
    attrs.set("auto_pad", std::string("SAME_UPPER"));
  } else if (padding == "VALID") {
    attrs.set("pads", std::vector<std::int64_t>{0, 0, 0, 0});
  } else if (padding == "EXPLICIT") {
    const std::vector<std::int64_t> p = node.attrs.get_ints("explicit_paddings");
    if (p.size() != 8)
      node.fail("explicit_paddings has " + std::to_string(p.size()) + " entries, expected 8");
    const std::size_t h = nchw ? 4 : 2, w = nchw ? 6 : 4; // index of the (before, after) pair
    attrs.set("pads", std::vector<std::int64_t>{p[h], p[w], p[h + 1], p[w + 1]});
  } else {
    node.fail("padding '" + padding + "' is not supported (SAME, VALID, EXPLICIT)");
  }
}

// Runs `lower_nchw(x_nchw)` -> NCHW result name, with NHWC Transposes around
// it unless the node is NCHW already; the result is the TF node's value.
template <class F> void in_nchw(Converter& c, const TfNode& node, F&& lower_nchw) {
  if (is_nchw(node)) {
    lower_nchw(c.input(node, 0), node.name);
    return;
  }
  const std::string x = c.to_nchw(c.input(node, 0), node.name);
  const std::string y = c.fresh_name(node.name + "/nchw");
  lower_nchw(x, y);
  c.to_nhwc(y, node.name, node.name + "/to_nhwc");
}

Tensor float_scalar(float v) { return Tensor::scalar<float>(v); }

// Applies activation `op` ("Relu", "Relu6", "LeakyRelu", ...; a TF op or a
// fused_ops entry) to `x` into `out`, in a node named `node_name`.
void activation(Converter& c, const TfNode& node, const std::string& op, const std::string& x,
                const std::string& out, const std::string& node_name) {
  Attributes attrs;
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh") {
    c.add_node(op, node_name, {x}, out);
  } else if (op == "Relu6") {
    const std::string lo = c.add_constant(node.name + "/min", float_scalar(0.0f));
    const std::string hi = c.add_constant(node.name + "/max", float_scalar(6.0f));
    c.add_node("Clip", node_name, {x, lo, hi}, out);
  } else if (op == "LeakyRelu") {
    // Fused ops carry `leakyrelu_alpha`, the LeakyRelu op `alpha`; TF's default is 0.2.
    attrs.set("alpha", node.attrs.get_float(node.op == "LeakyRelu" ? "alpha" : "leakyrelu_alpha", 0.2f));
    c.add_node("LeakyRelu", node_name, {x}, out, std::move(attrs));
  } else {
    node.fail("fused activation '" + op + "' is not supported (Relu, Relu6, LeakyRelu, Sigmoid, Tanh)");
  }
}

// --- convolution and pooling ------------------------------------------------------

// Conv2D, DepthwiseConv2dNative and their fused forms. The filter becomes OIHW
// through a Transpose (and Reshape for depthwise) that constant folding
// evaluates once at import when the filter is a constant.
void lower_conv(Converter& c, const TfNode& node, bool depthwise, bool fused) {
  const bool nchw = is_nchw(node);
  const std::string& filter = c.input(node, 1);
  Attributes conv;
  conv.set("strides", spatial(node, "strides", nchw, 1));
  conv.set("dilations", spatial(node, "dilations", nchw, 1));
  set_padding(node, nchw, conv);

  Attributes perm;
  std::string weight;
  if (!depthwise) {
    perm.set("perm", std::vector<std::int64_t>{3, 2, 0, 1}); // HWIO -> OIHW
    weight = c.add_node("Transpose", node.name + "/filter_oihw", {filter},
                        c.fresh_name(node.name + "/filter_oihw"), std::move(perm));
  } else {
    // [H, W, C, M] -> [C, M, H, W] -> [C*M, 1, H, W]: output channel c*M + m, as TF orders them.
    const Tensor& f = c.require_constant(node, 1);
    if (f.rank() != 4) node.fail("filter must have rank 4, got shape " + shape_str(f.shape()));
    const std::int64_t channels = f.shape()[2], multiplier = f.shape()[3];
    perm.set("perm", std::vector<std::int64_t>{2, 3, 0, 1});
    const std::string cmhw = c.add_node("Transpose", node.name + "/filter_cmhw", {filter},
                                        c.fresh_name(node.name + "/filter_cmhw"), std::move(perm));
    const std::string shape =
        c.add_ints(node.name + "/filter_shape", {channels * multiplier, 1, f.shape()[0], f.shape()[1]});
    weight = c.add_node("Reshape", node.name + "/filter_oihw", {cmhw, shape},
                        c.fresh_name(node.name + "/filter_oihw"));
    conv.set("group", channels);
  }

  std::vector<std::string> ops;
  std::vector<std::string> inputs = {"", weight};
  if (fused) {
    ops = node.attrs.get_strings("fused_ops");
    const std::int64_t num_args = node.attrs.get_int("num_args", 0);
    if (ops.empty() || ops[0] != "BiasAdd" || num_args != 1) {
      std::string list;
      for (const std::string& op : ops)
        list += (list.empty() ? "" : ",") + op;
      node.fail("fused_ops [" + list + "] with " + std::to_string(num_args) +
                " extra inputs is not supported (BiasAdd, optionally followed by one activation)");
    }
    if (ops.size() > 2) node.fail("more than one fused activation is not supported");
    inputs.push_back(c.input(node, 2));
  }
  in_nchw(c, node, [&](const std::string& x, const std::string& y) {
    inputs[0] = x;
    if (ops.size() < 2) {
      c.add_node("Conv", node.name, inputs, y, std::move(conv));
      return;
    }
    const std::string pre =
        c.add_node("Conv", node.name, inputs, c.fresh_name(node.name + "/conv"), std::move(conv));
    activation(c, node, ops[1], pre, y, node.name + "/" + ops[1]);
  });
}

void lower_pool(Converter& c, const TfNode& node, const std::string& onnx_op) {
  const bool nchw = is_nchw(node);
  Attributes attrs;
  attrs.set("kernel_shape", spatial(node, "ksize", nchw, 1));
  attrs.set("strides", spatial(node, "strides", nchw, 1));
  set_padding(node, nchw, attrs);
  // TF averages over the taps inside the input only ('SAME' edges included).
  if (onnx_op == "AveragePool") attrs.set("count_include_pad", std::int64_t{0});
  in_nchw(c, node, [&](const std::string& x, const std::string& y) {
    c.add_node(onnx_op, node.name, {x}, y, std::move(attrs));
  });
}

// ResizeBilinear / ResizeNearestNeighbor (always NHWC) as Resize over axes 2, 3.
// tfjs-backend-cpu maps output pixel x to input coordinate
//   align_corners:       x * (in - 1) / (out - 1)         -> ONNX align_corners
//   half_pixel_centers:  (x + 0.5) * in / out [- 0.5 bilinear] -> half_pixel / tf_half_pixel_for_nn
//   neither:             x * in / out                     -> asymmetric
// and rounds nearest with Math.round (align_corners: halves up) or floor.
void lower_resize(Converter& c, const TfNode& node, bool bilinear) {
  const bool align = node.attrs.get_bool("align_corners", false);
  const bool half = node.attrs.get_bool("half_pixel_centers", false);
  if (align && half) node.fail("align_corners and half_pixel_centers cannot both be set");
  const std::vector<std::int64_t> size = int_values(c.require_constant(node, 1));
  if (size.size() != 2)
    node.fail("size must have 2 entries (height, width), got " + std::to_string(size.size()));
  Attributes attrs;
  attrs.set("mode", std::string(bilinear ? "linear" : "nearest"));
  attrs.set("axes", std::vector<std::int64_t>{2, 3});
  attrs.set("coordinate_transformation_mode",
            std::string(align  ? "align_corners"
                        : half ? (bilinear ? "half_pixel" : "tf_half_pixel_for_nn")
                               : "asymmetric"));
  if (!bilinear) attrs.set("nearest_mode", std::string(align ? "round_prefer_ceil" : "floor"));
  const std::string sizes = c.add_ints(node.name + "/sizes", size);
  const std::string x = c.to_nchw(c.input(node, 0), node.name);
  const std::string y = c.fresh_name(node.name + "/nchw");
  c.add_node("Resize", node.name, {x, "", "", sizes}, y, std::move(attrs));
  c.to_nhwc(y, node.name, node.name + "/to_nhwc");
}

// --- element-wise ---------------------------------------------------------------------

template <const char* kOnnxOp> void lower_binary(Converter& c, const TfNode& node) {
  c.add_node(kOnnxOp, node.name, {c.input(node, 0), c.input(node, 1)}, node.name);
}

template <const char* kOnnxOp> void lower_unary(Converter& c, const TfNode& node) {
  c.add_node(kOnnxOp, node.name, {c.input(node, 0)}, node.name);
}

constexpr char kAdd[] = "Add";
constexpr char kSub[] = "Sub";
constexpr char kMul[] = "Mul";
constexpr char kDiv[] = "Div";
constexpr char kPow[] = "Pow";
constexpr char kIdentity[] = "Identity";
constexpr char kSigmoid[] = "Sigmoid";
constexpr char kTanh[] = "Tanh";
constexpr char kRelu[] = "Relu";
constexpr char kExp[] = "Exp";
constexpr char kSqrt[] = "Sqrt";

void lower_bias_add(Converter& c, const TfNode& node) {
  if (!is_nchw(node)) return lower_binary<kAdd>(c, node);
  // NCHW: the [C] bias broadcasts over dim 1, so it becomes [C, 1, 1].
  const std::string axes = c.add_ints(node.name + "/bias_axes", {1, 2});
  const std::string bias = c.add_node("Unsqueeze", node.name + "/bias_chw", {c.input(node, 1), axes},
                                      c.fresh_name(node.name + "/bias_chw"));
  c.add_node("Add", node.name, {c.input(node, 0), bias}, node.name);
}

void lower_activation(Converter& c, const TfNode& node) {
  activation(c, node, node.op, c.input(node, 0), node.name, node.name);
}

void lower_softmax(Converter& c, const TfNode& node) {
  Attributes attrs;
  attrs.set("axis", std::int64_t{-1});
  c.add_node("Softmax", node.name, {c.input(node, 0)}, node.name, std::move(attrs));
}

// --- data movement ----------------------------------------------------------------------

// ONNX wants int64 for shapes, pads, axes and split sizes; TF.js stores them as
// int32. Constants are converted here, others get a Cast.
std::string as_int64(Converter& c, const TfNode& node, std::size_t i, const std::string& role) {
  if (const Tensor* t = c.constant(c.input(node, i))) {
    const std::vector<std::int64_t> v = int_values(*t);
    return c.add_constant(node.name + "/" + role, Tensor::from<std::int64_t>(t->shape(), v));
  }
  Attributes attrs;
  attrs.set("to", std::int64_t{7}); // onnx.TensorProto.INT64
  return c.add_node("Cast", node.name + "/" + role, {c.input(node, i)}, c.fresh_name(node.name + "/" + role),
                    std::move(attrs));
}

void lower_reshape(Converter& c, const TfNode& node) {
  Attributes attrs;
  // In TF a 0 in the shape is an empty dim, never "copy the input's dim".
  const Tensor* shape = c.constant(c.input(node, 1));
  const std::vector<std::int64_t> dims = shape ? int_values(*shape) : std::vector<std::int64_t>{};
  if (shape == nullptr || std::count(dims.begin(), dims.end(), 0) > 0)
    attrs.set("allowzero", std::int64_t{1});
  c.add_node("Reshape", node.name, {c.input(node, 0), as_int64(c, node, 1, "shape")}, node.name,
             std::move(attrs));
}

void lower_transpose(Converter& c, const TfNode& node) {
  Attributes attrs;
  attrs.set("perm", int_values(c.require_constant(node, 1)));
  c.add_node("Transpose", node.name, {c.input(node, 0)}, node.name, std::move(attrs));
}

void lower_concat(Converter& c, const TfNode& node) {
  // ConcatV2: values..., axis.  Concat (v1): axis, values...
  const bool v2 = node.op == "ConcatV2";
  if (node.inputs.size() < 2) node.fail("needs at least one value and the axis");
  const std::size_t axis_at = v2 ? node.inputs.size() - 1 : 0;
  Attributes attrs;
  attrs.set("axis", scalar_int(c, node, axis_at));
  std::vector<std::string> values(node.inputs.begin() + (v2 ? 0 : 1), node.inputs.end() - (v2 ? 1 : 0));
  c.add_node("Concat", node.name, std::move(values), node.name, std::move(attrs));
}

// The TF values of a node with n outputs: "x", "x:1", ..., "x:n-1".
std::vector<std::string> output_values(const TfNode& node, std::int64_t n) {
  std::vector<std::string> out = {node.name};
  for (std::int64_t i = 1; i < n; ++i)
    out.push_back(node.name + ":" + std::to_string(i));
  return out;
}

void lower_split_v(Converter& c, const TfNode& node) {
  const std::vector<std::int64_t> sizes = int_values(c.require_constant(node, 1));
  if (std::count(sizes.begin(), sizes.end(), -1) > 0)
    node.fail("size_splits with an inferred (-1) size is not supported");
  Attributes attrs;
  attrs.set("axis", scalar_int(c, node, 2));
  c.add_node("Split", node.name, {c.input(node, 0), c.add_ints(node.name + "/split", sizes)},
             output_values(node, static_cast<std::int64_t>(sizes.size())), std::move(attrs));
}

void lower_split(Converter& c, const TfNode& node) {
  const std::int64_t n = node.attrs.get_int("num_split", 0);
  if (n < 1) node.fail("attribute num_split must be positive");
  Attributes attrs;
  attrs.set("axis", scalar_int(c, node, 0));
  attrs.set("num_outputs", n);
  c.add_node("Split", node.name, {c.input(node, 1)}, output_values(node, n), std::move(attrs));
}

void lower_squeeze(Converter& c, const TfNode& node) {
  const std::vector<std::int64_t> axes = node.attrs.get_ints("squeeze_dims");
  std::vector<std::string> inputs = {c.input(node, 0)};
  if (!axes.empty()) inputs.push_back(c.add_ints(node.name + "/axes", axes));
  c.add_node("Squeeze", node.name, std::move(inputs), node.name);
}

void lower_expand_dims(Converter& c, const TfNode& node) {
  c.add_node("Unsqueeze", node.name, {c.input(node, 0), as_int64(c, node, 1, "axes")}, node.name);
}

void lower_mean(Converter& c, const TfNode& node) {
  Attributes attrs;
  attrs.set("keepdims", std::int64_t{node.attrs.get_bool("keep_dims", false) ? 1 : 0});
  c.add_node("ReduceMean", node.name, {c.input(node, 0), as_int64(c, node, 1, "axes")}, node.name,
             std::move(attrs));
}

void lower_cast(Converter& c, const TfNode& node) {
  const std::string to = node.attrs.get_type("DstT", "");
  // onnx.TensorProto.DataType; TF.js holds int64 as int32.
  const std::int64_t onnx_type = to == "DT_FLOAT"                       ? 1
                                 : to == "DT_INT32" || to == "DT_INT64" ? 6
                                 : to == "DT_BOOL"                      ? 9
                                                                        : 0;
  if (onnx_type == 0)
    node.fail("cast to " + to + " is not supported (DT_FLOAT, DT_INT32, DT_INT64, DT_BOOL)");
  Attributes attrs;
  attrs.set("to", onnx_type);
  c.add_node("Cast", node.name, {c.input(node, 0)}, node.name, std::move(attrs));
}

// Pad, PadV2 (with a constant value) and MirrorPad: TF paddings [rank, 2] ->
// ONNX pads [begin..., end...].
void lower_pad(Converter& c, const TfNode& node) {
  const Tensor& paddings = c.require_constant(node, 1);
  if (paddings.rank() != 2 || paddings.shape()[1] != 2) {
    node.fail("paddings must have shape [rank, 2], got " + shape_str(paddings.shape()));
  }
  const std::vector<std::int64_t> p = int_values(paddings);
  std::vector<std::int64_t> pads(p.size());
  const std::size_t rank = p.size() / 2;
  for (std::size_t d = 0; d < rank; ++d) {
    pads[d] = p[2 * d];
    pads[rank + d] = p[2 * d + 1];
  }
  Attributes attrs;
  std::vector<std::string> inputs = {c.input(node, 0), c.add_ints(node.name + "/pads", pads)};
  if (node.op == "PadV2") inputs.push_back(c.input(node, 2));
  if (node.op == "MirrorPad") {
    const std::string mode = node.attrs.get_string("mode", "");
    if (mode != "REFLECT") node.fail("mode '" + mode + "' is not supported (REFLECT)");
    attrs.set("mode", std::string("reflect"));
  }
  c.add_node("Pad", node.name, std::move(inputs), node.name, std::move(attrs));
}

// SparseToDense has no ONNX counterpart; exporters use it on constants (onnx-tf
// builds Reshape targets with it), so it is evaluated here.
void lower_sparse_to_dense(Converter& c, const TfNode& node) {
  const Tensor& indices = c.require_constant(node, 0);
  const std::vector<std::int64_t> shape = int_values(c.require_constant(node, 1));
  const Tensor& values = c.require_constant(node, 2);
  const Tensor& fill = c.require_constant(node, 3);
  if (fill.size() != 1 || values.dtype() != fill.dtype())
    node.fail("default_value must be a scalar of the values' type");
  const auto rank = static_cast<std::int64_t>(shape.size());
  const std::int64_t count = indices.rank() == 0 ? 1 : indices.shape()[0];
  const std::int64_t per_index = indices.rank() == 2 ? indices.shape()[1] : 1;
  if (indices.rank() > 2 || per_index != std::max<std::int64_t>(rank, 1) ||
      (values.size() != 1 && values.size() != count)) {
    node.fail("sparse_indices " + shape_str(indices.shape()) + " and sparse_values " +
              shape_str(values.shape()) + " do not fit output_shape of rank " + std::to_string(rank));
  }
  Tensor out(values.dtype(), Shape(shape.begin(), shape.end()));
  const std::vector<std::int64_t> strides = strides_of(out.shape());
  const std::vector<std::int64_t> idx = int_values(indices);
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* dst = static_cast<T*>(out.raw());
    const T* src = static_cast<const T*>(values.raw());
    std::fill(dst, dst + out.size(), *static_cast<const T*>(fill.raw()));
    for (std::int64_t i = 0; i < count; ++i) {
      std::int64_t offset = 0;
      for (std::int64_t d = 0; d < per_index && rank > 0; ++d) {
        const std::int64_t at = idx[static_cast<std::size_t>(i * per_index + d)];
        if (at < 0 || at >= shape[static_cast<std::size_t>(d)])
          node.fail("index " + std::to_string(at) + " is out of range");
        offset += at * strides[static_cast<std::size_t>(d)];
      }
      dst[offset] = src[values.size() == 1 ? 0 : i];
    }
  });
  // The value is a constant from here on, under the TF node's name.
  c.graph().initializers.emplace(node.name, std::move(out));
}

} // namespace

const std::map<std::string, OpLowering>& op_lowerings() {
  static const std::map<std::string, OpLowering> table = {
      {"Add", lower_binary<kAdd>},
      {"AddV2", lower_binary<kAdd>},
      {"AvgPool", [](Converter& c, const TfNode& n) { lower_pool(c, n, "AveragePool"); }},
      {"BiasAdd", lower_bias_add},
      {"Cast", lower_cast},
      {"Concat", lower_concat},
      {"ConcatV2", lower_concat},
      {"Conv2D", [](Converter& c, const TfNode& n) { lower_conv(c, n, false, false); }},
      {"DepthwiseConv2dNative", [](Converter& c, const TfNode& n) { lower_conv(c, n, true, false); }},
      {"Exp", lower_unary<kExp>},
      {"ExpandDims", lower_expand_dims},
      {"FusedDepthwiseConv2dNative", [](Converter& c, const TfNode& n) { lower_conv(c, n, true, true); }},
      {"Identity", lower_unary<kIdentity>},
      {"LeakyRelu", lower_activation},
      {"MaxPool", [](Converter& c, const TfNode& n) { lower_pool(c, n, "MaxPool"); }},
      {"Mean", lower_mean},
      {"MirrorPad", lower_pad},
      {"Mul", lower_binary<kMul>},
      {"Pad", lower_pad},
      {"PadV2", lower_pad},
      {"Pow", lower_binary<kPow>},
      {"RealDiv", lower_binary<kDiv>},
      {"Relu", lower_unary<kRelu>},
      {"Relu6", lower_activation},
      {"Reshape", lower_reshape},
      {"ResizeBilinear", [](Converter& c, const TfNode& n) { lower_resize(c, n, true); }},
      {"ResizeNearestNeighbor", [](Converter& c, const TfNode& n) { lower_resize(c, n, false); }},
      {"Sigmoid", lower_unary<kSigmoid>},
      {"Softmax", lower_softmax},
      {"SparseToDense", lower_sparse_to_dense},
      {"Split", lower_split},
      {"SplitV", lower_split_v},
      {"Sqrt", lower_unary<kSqrt>},
      {"Squeeze", lower_squeeze},
      {"Sub", lower_binary<kSub>},
      {"Tanh", lower_unary<kTanh>},
      {"Transpose", lower_transpose},
      {"_FusedConv2D", [](Converter& c, const TfNode& n) { lower_conv(c, n, false, true); }},
  };
  return table;
}

} // namespace tilescope::engine::tfjs
