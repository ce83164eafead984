// Attributes of Conv and tilescope.FusedConv, parsed once into structs that the
// reference kernels and the oneDNN backend share.
//
// tilescope.FusedConv is what the fusion passes make of Conv [+ activation]
// [+ Add]: inputs [X, W, B (optional), Sum (optional)], Conv's attributes plus
//   activation: string, one of none relu leaky_relu sigmoid hard_sigmoid
//               hard_swish silu clip tanh (default none)
//   alpha, beta: floats, read by leaky_relu (y = x < 0 ? alpha*x : x, default
//               0.01), hard_sigmoid (y = max(0, min(1, alpha*x + beta)),
//               defaults 0.2, 0.5) and clip (y = min(max(x, alpha), beta),
//               defaults: unbounded);
// output = activation(conv(X, W) + B) + Sum, Sum having the output's shape.
#pragma once

#include "backends/reference/ops/window_attrs.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace tilescope::engine {

struct ConvAttrs : WindowAttrs {
  std::int64_t group = 1;
  std::int64_t batch = 0;        // N
  std::int64_t in_channels = 0;  // C (all groups)
  std::int64_t out_channels = 0; // M (all groups)

  Shape output_shape() const { return WindowAttrs::output_shape(batch, out_channels); }
};

// X is [N, C, spatial...], W is [M, C / group, kernel...]; kernel_shape, when
// given, must equal W's spatial dims. Throws Error naming the node and the
// offending attribute or shape.
ConvAttrs parse_conv_attrs(const Node& node, const Shape& x, const Shape& w);

enum class Activation { kNone, kRelu, kLeakyRelu, kSigmoid, kHardSigmoid, kHardSwish, kSilu, kClip, kTanh };

// "relu" <-> Activation::kRelu, ... (the FusedConv attribute spelling).
std::optional<Activation> parse_activation(std::string_view name);
std::string_view activation_name(Activation activation);

struct FusedConvAttrs : ConvAttrs {
  Activation activation = Activation::kNone;
  float alpha = 0.0f; // defaults filled in per activation, see the top of this file
  float beta = 0.0f;
};

FusedConvAttrs parse_fused_conv_attrs(const Node& node, const Shape& x, const Shape& w);

} // namespace tilescope::engine
