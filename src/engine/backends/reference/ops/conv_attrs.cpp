#include "backends/reference/ops/conv_attrs.h"

#include <array>
#include <limits>
#include <string>
#include <utility>

namespace tilescope::engine {
namespace {

[[noreturn]] void fail(const Node& node, const std::string& message) {
  throw Error(node.describe() + ": " + message);
}

constexpr std::array<std::pair<Activation, std::string_view>, 9> kActivationNames{{
    {Activation::kNone, "none"},
    {Activation::kRelu, "relu"},
    {Activation::kLeakyRelu, "leaky_relu"},
    {Activation::kSigmoid, "sigmoid"},
    {Activation::kHardSigmoid, "hard_sigmoid"},
    {Activation::kHardSwish, "hard_swish"},
    {Activation::kSilu, "silu"},
    {Activation::kClip, "clip"},
    {Activation::kTanh, "tanh"},
}};

} // namespace

ConvAttrs parse_conv_attrs(const Node& node, const Shape& x, const Shape& w) {
  return with_node_context(node, [&] {
    if (x.size() < 3) fail(node, "input X has shape " + shape_str(x) + ", expected [N, C, spatial...]");
    if (w.size() != x.size()) {
      fail(node, "weights W " + shape_str(w) + " and input X " + shape_str(x) + " differ in rank");
    }
    std::vector<std::int64_t> kernel(w.begin() + 2, w.end());
    if (node.attrs.has("kernel_shape") && node.attrs.get_ints("kernel_shape") != kernel) {
      fail(node, "attribute 'kernel_shape' " + shape_str(node.attrs.get_ints("kernel_shape")) +
                     " does not match weights W " + shape_str(w));
    }
    ConvAttrs a;
    static_cast<WindowAttrs&>(a) = parse_window_attrs(node, x, std::move(kernel), /*ceil_mode=*/false);
    a.group = node.attrs.get_int("group", 1);
    a.batch = x[0];
    a.in_channels = x[1];
    a.out_channels = w[0];
    if (a.group < 1 || a.in_channels % a.group != 0 || a.out_channels % a.group != 0) {
      fail(node, "attribute 'group' " + std::to_string(a.group) + " must divide input channels " +
                     std::to_string(a.in_channels) + " and output channels " +
                     std::to_string(a.out_channels));
    }
    if (w[1] != a.in_channels / a.group) {
      fail(node, "weights W " + shape_str(w) + " need dim 1 = C / group = " + std::to_string(a.in_channels) +
                     " / " + std::to_string(a.group) + " (input X " + shape_str(x) + ")");
    }
    return a;
  });
}

std::optional<Activation> parse_activation(std::string_view name) {
  for (const auto& [activation, spelling] : kActivationNames) {
    if (spelling == name) return activation;
  }
  return std::nullopt;
}

std::string_view activation_name(Activation activation) {
  for (const auto& [a, spelling] : kActivationNames) {
    if (a == activation) return spelling;
  }
  return "?";
}

FusedConvAttrs parse_fused_conv_attrs(const Node& node, const Shape& x, const Shape& w) {
  return with_node_context(node, [&] {
    FusedConvAttrs a;
    static_cast<ConvAttrs&>(a) = parse_conv_attrs(node, x, w);
    const std::string name = node.attrs.get_string("activation", "none");
    const std::optional<Activation> activation = parse_activation(name);
    if (!activation) {
      fail(node, "attribute 'activation' value '" + name +
                     "' is not supported (none, relu, leaky_relu, sigmoid, hard_sigmoid, hard_swish, silu, "
                     "clip, tanh)");
    }
    a.activation = *activation;
    float alpha = 0.0f;
    float beta = 0.0f;
    switch (a.activation) {
    case Activation::kLeakyRelu: alpha = 0.01f; break; // ONNX LeakyRelu default
    case Activation::kHardSigmoid:                     // ONNX HardSigmoid defaults
      alpha = 0.2f;
      beta = 0.5f;
      break;
    case Activation::kClip:
      alpha = -std::numeric_limits<float>::infinity();
      beta = std::numeric_limits<float>::infinity();
      break;
    default: break;
    }
    a.alpha = node.attrs.get_float("alpha", alpha);
    a.beta = node.attrs.get_float("beta", beta);
    return a;
  });
}

} // namespace tilescope::engine
