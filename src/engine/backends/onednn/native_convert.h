// f32 planar images to bf16, or quantized to u8, as our own AVX-512 loops
// (native_convert.cpp).
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

// A kernel quantizing DNNL_ARG_SRC, dense f32 NCHW (`src`), to DNNL_ARG_DST,
// u8 NHWC (`dst`: channels dense and pixels packed in a row; the rows and
// images may be strided, as in the interior of an explicitly padded buffer),
// for 1 to 4 channels, as ONNX QuantizeLinear:
//   q = saturate(round_half_even(x / scale) + zero_point)   (0..255)
// A network's image input on its way to an int8 stem convolution. nullptr
// when the descriptors do not qualify or the CPU lacks AVX-512 (BW, VBMI).
std::unique_ptr<NativeKernel> make_image_to_u8_kernel(const Md& src, const Md& dst, float scale,
                                                      int zero_point);

} // namespace tilescope::engine::onednn
