// A 1x1 convolution to one output channel as our own AVX-512 loop
// (native_pointwise.cpp): YOLOv8/11's DFL, the expectation over box bins.
#pragma once

#include "backends/onednn/layout.h"
#include "backends/onednn/plan.h"

#include <memory>
#include <vector>

namespace tilescope::engine::onednn {

// DNNL_ARG_DST [N,1,H,W] (plain) = bias + sum over c of weights[c] *
// DNNL_ARG_SRC[N,c,H,W], for f32 `src` of rank 4 in any dense dimension order
// whose innermost dim is W (what the strided softmax before it leaves).
// nullptr when `src` does not qualify or the CPU lacks AVX-512.
std::unique_ptr<NativeKernel> make_channel_sum_kernel(const Md& src, std::vector<float> weights, float bias);

} // namespace tilescope::engine::onednn
