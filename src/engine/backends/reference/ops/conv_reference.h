// The reference convolution, shared by Conv and tilescope.FusedConv (which
// applies its activation and residual to this result).
#pragma once

#include "backends/reference/op_registry.h"
#include "backends/reference/ops/conv_attrs.h"

#include <vector>

namespace tilescope::engine::reference {

// Checks at load time what the reference convolution needs beyond
// parse_conv_attrs: float X, W (and B) of one element type, B of shape [M],
// at most three spatial dims. Sets output 0 to X's type and a.output_shape().
void infer_conv_common(InferContext& ctx, const ConvAttrs& a);

// conv(X, W) + B in double, row-major with shape a.output_shape(). `bias` may
// be nullptr. Accumulates every output element in double from the stored
// float values, in the order (input channel, kd, kh, kw).
std::vector<double> conv_reference(const ConvAttrs& a, const Tensor& x, const Tensor& w, const Tensor* bias);

// Writes `values` (row-major, y.size() of them) to float tensor y.
void store_doubles(const std::vector<double>& values, Tensor& y);

} // namespace tilescope::engine::reference
