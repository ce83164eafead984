// Memory-descriptor helpers: ONNX shapes to oneDNN dims, plain (row-major)
// layouts, and "the same dimension order with other dims" for ops whose
// sources must share a fixed format (concat, split).
#pragma once

#include "tilescope/engine/tensor.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tilescope::engine::onednn {

using Md = dnnl::memory::desc;
using Dims = dnnl::memory::dims;

// oneDNN has no rank-0 tensors: a scalar becomes dims {1}. (Shape and Dims
// are the same vector type.)
Dims to_dims(const Shape& shape);
// Dense row-major descriptor (f32 unless told); a scalar's empty dims count as {1}.
Md plain_md(const Dims& dims, dnnl::memory::data_type type = dnnl::memory::data_type::f32);
// `md` with its elements of `type`: the same dims, format and strides (in
// elements), so a reorder between the two converts the values only.
Md with_type(const Md& md, dnnl::memory::data_type type);

// Two descriptors of the same bytes: equal, or both plain with equal dims
// (oneDNN may fill the strides of size-1 dims differently).
bool same_layout(const Md& a, const Md& b);
// True for a dense row-major, unblocked, offset-0 descriptor.
bool is_plain(const Md& md);
// True for an unblocked descriptor whose strides are a dense permutation of its
// dims (nchw, nhwc, ...); `order` receives the dims from outermost to innermost.
bool dense_order(const Md& md, std::vector<int>* order = nullptr);
// False for a strided view into a larger buffer (a sub-memory: Slice/Split
// outputs), true for descriptors that own their bytes densely.
bool is_dense(const Md& md);
// A dense descriptor with `dims` and the dimension order of `like` when that is
// unblocked (a dense permutation or a view into one); plain otherwise (blocked
// formats cannot be cut at arbitrary channel offsets). Of like's element type.
Md same_order(const Md& like, const Dims& dims);

// The region at `offsets` with `dims` of a tensor laid out as `parent`, when
// that region is itself a dense tensor of the same format: batch 1 (all dims
// before the channel axis 1), cut along the channels only, from a plain layout
// at any channel, or from a channel-blocked one (nChw16c) at block boundaries.
// Then readers that need dense data (convolutions, eltwise) take it without a
// copy, where a sub-memory would send them to oneDNN's reference kernels.
struct DenseRegion {
  Md md;
  std::size_t byte_offset = 0; // from the start of `parent`
};
std::optional<DenseRegion> dense_region(const Md& parent, const Dims& dims, const Dims& offsets);
// Dense descriptor with the channel axis (1) blocked by `block` outermost:
// nChw16c for rank 4. Zero when oneDNN has no tag for the rank.
Md channel_blocked_md(const Dims& dims, int block,
                      dnnl::memory::data_type type = dnnl::memory::data_type::f32);

// Dense descriptor with the other dims in logical order and `axis` innermost
// (NHWC for axis 1 of a 4-D tensor): what reductions along `axis` run fast on.
Md innermost_md(const Dims& dims, int axis);

// "acdb:1x16x32x32" style, for profiles and error messages.
std::string md_str(const Md& md);

} // namespace tilescope::engine::onednn
