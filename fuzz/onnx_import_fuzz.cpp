// libFuzzer target for the ONNX importer: any byte string must either convert
// or throw tilescope::Error. Anything else (a crash, a sanitizer report, another
// exception type escaping) is a bug. Build and run: see fuzz/CMakeLists.txt.
#include "tilescope/engine/onnx_import.h"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    const tilescope::engine::Graph graph = tilescope::engine::parse_onnx(bytes, "fuzz.onnx");
    // Touch what a consumer reads first, so lazily broken state would show.
    for (const auto& node : graph.nodes)
      (void)node.describe();
  } catch (const tilescope::Error&) {
  }
  // The same bytes as a node-test tensor file (.pb).
  try {
    (void)tilescope::engine::parse_onnx_tensor(bytes, "fuzz.pb");
  } catch (const tilescope::Error&) {
  }
  return 0;
}
