// Graph IR -> ONNX protobuf, so that models the engine imports from other
// formats (TF.js: the default NanoDet model) can be quantized and written as
// ONNX too. Internal to src/quant.
#pragma once

#include "onnx/onnx.pb.h"
#include "tilescope/engine/graph.h"

#include <string>

namespace tilescope::quant {

// The graph as an ONNX model (IR version 8, the graph's default-domain opset,
// plus domain "tilescope" version 1 when fused ops are present). Throws Error
// for a tensor element type ONNX cannot hold here.
onnx::ModelProto export_onnx(const engine::Graph& graph);

// Writes `model` to `out_path` (created or truncated). Throws Error naming the path
// when the file cannot be created or written.
void write_model(const onnx::ModelProto& model, const std::string& out_path);

} // namespace tilescope::quant
