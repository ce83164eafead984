// The QDQ rewrite of an ONNX model, done on its protobuf so that everything not
// quantized (metadata, node names, value infos, other ops) is written back as
// it was read. Internal to src/quant.
#pragma once

#include "onnx/onnx.pb.h"
#include "tilescope/quant/quantize.h"

#include <map>
#include <string>
#include <vector>

namespace tilescope::quant {

class QdqRewriter {
public:
  // Parses the model; throws Error naming the file when it is not an ONNX model
  // this rewrite handles (opset < 13, already quantized).
  explicit QdqRewriter(const std::string& model_path);
  // The same over a model already in memory (exported from another format);
  // `source` names it in errors.
  QdqRewriter(onnx::ModelProto model, const std::string& source);

  // Chooses the Convs to quantize (constant float32 weights, not excluded) and
  // lists the others with the reason in report.convs_kept. Throws Error for an
  // --exclude name that is no Conv of the model.
  void select_convs(const QuantizeOptions& options, QuantizeReport& report);
  // The selected Convs' input activations (each once), for calibration.
  std::vector<std::string> activation_values() const;
  // Inserts the QuantizeLinear / DequantizeLinear nodes, with the activation
  // scale and zero point of every activation_values() entry in `ranges`.
  void rewrite(const std::map<std::string, ActivationRange>& ranges, bool int8_activations);
  // Writes the model; throws Error naming the file when it cannot.
  void write(const std::string& out_path) const;

private:
  void check_model() const;

  std::string path_;
  onnx::ModelProto model_;
  std::vector<int> convs_; // node indices of the selected Convs
};

// Scale and zero point of an activation range [min, max] (widened to hold 0, so
// that zero is exact, as ONNX Runtime does): uint8 or int8, asymmetric.
ActivationRange activation_params(std::string value, float min, float max, bool int8_activations);

} // namespace tilescope::quant
