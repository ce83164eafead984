// ONNX model import (opsets 11-19) into the graph IR.
#pragma once

#include "tilescope/engine/graph.h"

#include <cstddef>
#include <span>
#include <string>

namespace tilescope::engine {

// Reads and converts an ONNX file. Throws tilescope::Error naming the file and
// what is wrong (missing, truncated, not ONNX, unsupported data type, opset out
// of range, external data). Does not check operator support (see Session).
Graph load_onnx(const std::string& path);

// Same, from bytes in memory; `source_name` is used in error messages.
Graph parse_onnx(std::span<const std::byte> bytes, const std::string& source_name);

// Converts a serialized onnx.TensorProto (as in the ONNX node tests' .pb files).
Tensor parse_onnx_tensor(std::span<const std::byte> bytes, const std::string& source_name);

} // namespace tilescope::engine
