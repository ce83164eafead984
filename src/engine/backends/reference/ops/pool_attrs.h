// Attributes of MaxPool and AveragePool, parsed once into a struct that the
// reference kernels and the oneDNN backend share.
#pragma once

#include "backends/reference/ops/window_attrs.h"

#include <cstdint>

namespace tilescope::engine {

struct PoolAttrs : WindowAttrs {
  bool ceil_mode = false;
  // AveragePool: whether the divisor counts the padding taps (those inside
  // [-pads_begin, in + pads_end)); never the taps past the end padding that
  // ceil_mode adds. Without it the divisor counts only taps inside the input.
  bool count_include_pad = false;
  // MaxPool's Indices output: 0 = row-major flat index into X, 1 = column-major
  // over the spatial dims (offset of the [n, c] plane stays row-major).
  std::int64_t storage_order = 0;
  std::int64_t batch = 0;
  std::int64_t channels = 0;

  Shape output_shape() const { return WindowAttrs::output_shape(batch, channels); }
};

// MaxPool (opset 1-12) and AveragePool (opset 1-19). X is [N, C, spatial...];
// kernel_shape is required. Throws Error naming the node and attribute on any
// invalid or unsupported value.
PoolAttrs parse_pool_attrs(const Node& node, const Shape& x);

} // namespace tilescope::engine
