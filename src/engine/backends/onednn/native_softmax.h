// Softmax along an axis that is not innermost in memory, as our own AVX-512
// loop (native_softmax.cpp).
#pragma once

#include "backends/onednn/layout.h"
#include "backends/onednn/plan.h"

#include <memory>

namespace tilescope::engine::onednn {

// For `md` dense and unblocked with a stride-1 dim other than `axis` (checked
// here): a kernel computing softmax along `axis` from DNNL_ARG_SRC into
// DNNL_ARG_DST, both laid out as `md` (they may be the same memory). nullptr
// when `md` does not qualify or the CPU lacks AVX-512.
std::unique_ptr<NativeKernel> make_strided_softmax_kernel(const Md& md, int axis);

} // namespace tilescope::engine::onednn
