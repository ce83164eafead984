#include "tilescope/quant/export.h"

#include "onnx_export.h"
#include "tilescope/core/error.h"
#include "tilescope/engine/session.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace tilescope::quant {

void export_model(const std::string& model_path, const std::string& out_path) {
  const onnx::ModelProto model = export_onnx(engine::load_model(model_path));
  std::ofstream file(out_path, std::ios::binary | std::ios::trunc);
  if (!file) throw Error(out_path + ": cannot create the file: " + std::strerror(errno));
  if (!model.SerializeToOstream(&file)) throw Error(out_path + ": writing the model failed");
  file.close();
  if (!file) throw Error(out_path + ": writing the model failed");
}

} // namespace tilescope::quant
