// Sliding-window geometry shared by Conv, FusedConv, MaxPool and AveragePool:
// kernel, strides, dilations, explicit pads (auto_pad already resolved) and the
// spatial output size. Backend-neutral: the reference kernels and the oneDNN
// backend read the same structs, so both agree on every padding rule.
#pragma once

#include "tilescope/engine/graph.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tilescope::engine {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;    // as written in the model; pads below are resolved
  std::vector<std::int64_t> input_size;   // spatial dims of X
  std::vector<std::int64_t> kernel_shape; // one per spatial dim
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;  // ONNX convention: 1 = dense (oneDNN wants dilation - 1)
  std::vector<std::int64_t> pads_begin; // elements of implicit padding before / after each dim
  std::vector<std::int64_t> pads_end;
  std::vector<std::int64_t> output_size; // spatial dims of Y

  std::size_t spatial_rank() const { return kernel_shape.size(); }
  // [batch, channels, output_size...]
  Shape output_shape(std::int64_t batch, std::int64_t channels) const;
};

// Reads strides, dilations, pads and auto_pad of `node` for a window of
// `kernel_shape` sliding over the spatial dims of `x` ([N, C, spatial...]).
//
// Output size per dim, with k' = (kernel - 1) * dilation + 1:
//   NOTSET      floor((in + pb + pe - k') / s) + 1, or with ceil_mode ceil(...) + 1
//               minus one when that last window would start inside the end
//               padding (the PyTorch rule, also ONNX's reference since 1.16);
//   VALID       floor((in - k') / s) + 1, no padding;
//   SAME_UPPER  ceil(in / s), total padding max(0, (out-1)*s + k' - in) split
//   SAME_LOWER  with the odd element at the end (UPPER) or the beginning (LOWER).
// ceil_mode only applies to NOTSET. `pads` is ignored when auto_pad is set.
// Throws Error naming the node and attribute on a wrong-length or non-positive
// attribute, an unknown auto_pad, or an output dim < 1.
WindowAttrs parse_window_attrs(const Node& node, const Shape& x, std::vector<std::int64_t> kernel_shape,
                               bool ceil_mode);

// Runs `parse` and rethrows any Error whose message does not yet name `node`
// (Attributes' typed getters throw without it) as "node N (Op): message", so
// every parse_*_attrs error names its node exactly once.
template <class F> auto with_node_context(const Node& node, F&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const Error& e) {
    const std::string prefix = node.describe() + ": ";
    const std::string message = e.what();
    if (message.rfind(prefix, 0) == 0) throw;
    throw Error(prefix + message);
  }
}

} // namespace tilescope::engine
