// A model as a plain float ONNX file: TF.js graphs (the default NanoDet-m)
// written out the way `model quantize` writes them before adding QDQ pairs,
// so that other runtimes (ONNX Runtime in bench/compare_runtimes.sh) run the
// very same float model.
#pragma once

#include <string>

namespace tilescope::quant {

// Loads `model_path` (an ONNX file or a TF.js model.json) and writes it to
// `out_path` as ONNX (IR version 8, the graph's opset). Throws tilescope::Error
// naming the file that cannot be read or written, or a graph ONNX cannot hold.
void export_model(const std::string& model_path, const std::string& out_path);

} // namespace tilescope::quant
