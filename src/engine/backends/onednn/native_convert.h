// f32 planar images to bf16 as our own AVX-512 loop (native_convert.cpp).
#pragma once

#include "backends/onednn/layout.h"
#include "backends/onednn/plan.h"

#include <memory>

namespace tilescope::engine::onednn {

// A kernel converting DNNL_ARG_SRC, dense f32 NCHW (`src`), to DNNL_ARG_DST,
// bf16 NHWC or NCHW (`dst`, dense, same dims), for 1 to 4 channels: a
// network's image input on its way to a bf16 stem convolution. nullptr when
// the descriptors do not qualify or the CPU lacks AVX-512 (BW).
std::unique_ptr<NativeKernel> make_image_to_bf16_kernel(const Md& src, const Md& dst);

} // namespace tilescope::engine::onednn
