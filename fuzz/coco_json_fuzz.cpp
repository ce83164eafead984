// libFuzzer target for the COCO JSON readers (`tilescope eval --gt/--dt` take
// files from anywhere): any text must either load or throw tilescope::Error,
// and what loads must evaluate without a crash. Build and run: see
// fuzz/CMakeLists.txt (seed the corpus with a synth benchmark's instances.json).
#include "tilescope/core/error.h"
#include "tilescope/eval/coco.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const tilescope::eval::CocoGroundTruth gt = tilescope::eval::parse_coco_ground_truth(text, "fuzz.json");
    // The same text as results against itself, then an evaluation of whatever loaded.
    std::vector<tilescope::eval::CocoDetection> dets;
    try {
      dets = tilescope::eval::parse_coco_results(text, "fuzz_results.json", gt);
    } catch (const tilescope::Error&) {
    }
    (void)tilescope::eval::evaluate_coco(gt, dets);
  } catch (const tilescope::Error&) {
  }
  return 0;
}
