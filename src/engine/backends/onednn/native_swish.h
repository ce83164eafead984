// Our own SiLU epilogue for convolution outputs (native_swish.cpp).
#pragma once

#include "backends/onednn/plan.h"

#include <memory>

namespace tilescope::engine::onednn {

// True when the CPU runs the AVX-512 loop; elsewhere oneDNN's swish (fused or
// as an eltwise step) is as good as a scalar loop and is used instead.
bool native_swish_available();

// DNNL_ARG_DST = x * sigmoid(x) (+ DNNL_ARG_SRC_1 when `with_sum`) for x in
// DNNL_ARG_SRC (may be DST itself), all three in the same dense layout
// (padding included).
std::unique_ptr<NativeKernel> make_swish_kernel(bool with_sum);
// DNNL_ARG_DST = sigmoid(DNNL_ARG_SRC), same layout, as above.
std::unique_ptr<NativeKernel> make_sigmoid_kernel();
// make_swish_kernel on bf16 tensors (bf16 mode): computed in f32, rounded to
// the nearest bf16 once at the end.
std::unique_ptr<NativeKernel> make_swish_kernel_bf16(bool with_sum);

} // namespace tilescope::engine::onednn
