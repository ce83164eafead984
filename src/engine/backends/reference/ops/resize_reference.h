// The reference interpolation shared by Resize and Upsample.
#pragma once

#include "backends/reference/op_registry.h"
#include "backends/reference/ops/resize_attrs.h"

namespace tilescope::engine::reference {

// Checks X is float32/float64 and sets output 0 to X's type and a.output_shape.
void infer_resize_common(InferContext& ctx, const ResizeAttrs& a);

// Fills y (shape a.output_shape, X's type) from x. Separable N-D
// interpolation: along every dim each output coordinate maps back to an input
// coordinate and gets 1 (nearest), 2 (linear) or 4 (cubic) weighted input taps;
// an output element is the sum over the product of its dims' taps, in double.
void resize_reference(const ResizeAttrs& a, const Tensor& x, Tensor& y);

} // namespace tilescope::engine::reference
