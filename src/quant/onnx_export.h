// Graph IR -> ONNX protobuf, so that models the engine imports from other
// formats (TF.js: the default NanoDet model) can be quantized and written as
// ONNX too. Internal to src/quant.
#pragma once

#include "onnx/onnx.pb.h"
#include "tilescope/engine/graph.h"

namespace tilescope::quant {

// The graph as an ONNX model (IR version 8, the graph's default-domain opset,
// plus domain "tilescope" version 1 when fused ops are present). Throws Error
// for a tensor element type ONNX cannot hold here.
onnx::ModelProto export_onnx(const engine::Graph& graph);

} // namespace tilescope::quant
