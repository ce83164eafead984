// Registration of the built-in heads (one function per head file) and the small
// checks they share. Internal to src/detect.
#pragma once

#include "tilescope/detect/head.h"

#include <cstdint>
#include <string>

namespace tilescope::detect {

// Sorted by name; called once each from head_registry.cpp.
void register_nanodet_head(HeadRegistry& registry);
void register_yolov5_head(HeadRegistry& registry);
void register_yolov8_head(HeadRegistry& registry);

namespace heads {

// Dim i of a declared value, -1 when dynamic or absent.
std::int64_t dim(const engine::ValueInfo& value, std::size_t i);

// Throws Error "<head>: output <i> '<name>' is <got>; expected <want>" unless
// `tensor` is float32 of rank 3 with the given dims (-1 = any) .
void check_output(std::string_view head, std::size_t index, const engine::Tensor& tensor, std::int64_t d0,
                  std::int64_t d1, std::int64_t d2);

} // namespace heads
} // namespace tilescope::detect
