// What QuantizeLinear and DequantizeLinear share: how the scale and zero point
// apply to x. Opset 10-12: both are per-tensor (scalars). Opset 13+: a 1-D scale
// of length x.shape[axis] (attribute `axis`, default 1, negative counts from
// the end) applies per slice along that axis; the zero point has the scale's
// shape. A 1-element 1-D scale is read as per-tensor, as ONNX Runtime does.
#pragma once

#include "backends/reference/numeric.h"

namespace tilescope::engine::reference {

// x seen as [outer, channels, inner]: element i uses parameter (i / inner) % channels.
struct QuantLayout {
  std::int64_t channels = 1; // 1 = per-tensor
  std::int64_t inner = 1;
  std::int64_t param_index(std::int64_t i) const { return channels == 1 ? 0 : (i / inner) % channels; }
};

// Checks at load time input 1 (scale, float32) and the optional input 2 (zero
// point, element type in `zero_point_types`) against input 0's shape; fails
// naming what does not fit.
QuantLayout check_quant_params(const InferContext& ctx, DTypeSet zero_point_types);
// The same layout at run time (shapes already checked).
QuantLayout quant_layout(const KernelContext& ctx);

} // namespace tilescope::engine::reference
