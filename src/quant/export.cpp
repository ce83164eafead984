#include "tilescope/quant/export.h"

#include "onnx_export.h"
#include "tilescope/engine/session.h"

namespace tilescope::quant {

void export_model(const std::string& model_path, const std::string& out_path) {
  write_model(export_onnx(engine::load_model(model_path)), out_path);
}

} // namespace tilescope::quant
