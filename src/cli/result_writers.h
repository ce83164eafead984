// Machine-readable outputs of `tilescope detect`: JSON lines, YOLO txt labels
// and a COCO results file. Boxes are in the original image's pixels.
#pragma once

#include "tilescope/detect/detection.h"

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tilescope::cli {

struct FrameResult {
  std::string source;       // file path as given
  std::string output_stem;  // relative name for per-file outputs
  std::int64_t frame = -1;  // video frame index; -1 for a still image
  double timestamp_s = 0.0; // video presentation time
  int width = 0, height = 0;
  const std::vector<detect::Detection>* detections = nullptr;
};

struct ResultOptions {
  std::string out_dir;
  bool save_json = false; // <out>/results.jsonl
  bool save_txt = false;  // <out>/labels/<stem>[_<frame>].txt
  bool save_conf = false; // append the score to each txt line
  std::string coco_path;  // COCO results file ("" = none)
};

class ResultWriters {
public:
  ResultWriters(ResultOptions options, std::vector<std::string> class_names);
  void add(const FrameResult& result);
  // Writes the COCO file. Throws Error on I/O failure.
  void finish();

  // The JSON object written per image/frame (also used by tests and the API).
  static nlohmann::json to_json(const FrameResult& result, const std::vector<std::string>& class_names);

private:
  std::int64_t coco_image_id(const FrameResult& result);
  ResultOptions options_;
  std::vector<std::string> class_names_;
  std::ofstream jsonl_;
  nlohmann::json coco_ = nlohmann::json::array();
  std::int64_t next_image_id_ = 1;
};

} // namespace tilescope::cli
