// A picture of a slice plan over a frame: each tile a distinct colour, a
// semi-transparent fill (overlaps show as mixed tints) and an outline with its
// number. Used by `tilescope tiles --draw` and the README's "Adaptive tiling" figure.
#pragma once

#include "tilescope/tiling/plan.h"

#include <opencv2/core.hpp>

namespace tilescope::tiling {

// The plan drawn over `frame_bgr` resized to `frame_size` (the plan's frame), or over
// a grey canvas of that size when `frame_bgr` is empty. Throws Error for an empty size
// or a frame that is not 8-bit BGR.
cv::Mat draw_plan(const cv::Mat& frame_bgr, cv::Size frame_size, const SlicePlan& plan);

} // namespace tilescope::tiling
