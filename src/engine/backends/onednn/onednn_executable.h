// What the onednn backend compiled, for tests and tools (the Executable
// interface itself is in backends/executable.h).
#pragma once

#include "backends/executable.h"

#include <string>
#include <vector>

namespace tilescope::engine::onednn {

// The op type of each compiled step in run order: "FusedConv", "Concat",
// "Reorder" (a layout conversion), "Reorder(view)" (a Split/Slice view made
// dense for a reader), "Reorder(sum)" (a residual copied into a conv's dst),
// "Reorder(fallback)", "Gather [reference]" (a fallback). Empty
// when `exe` was not compiled by compile_onednn.
std::vector<std::string> step_labels(const Executable& exe);

} // namespace tilescope::engine::onednn
