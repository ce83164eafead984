#include "detector_options.h"

#include "default_model.h"
#include "tilescope/core/error.h"

#include <algorithm>
#include <iostream>
#include <sstream>

namespace tilescope::cli {
namespace {

std::vector<int> resolve_classes(const std::string& spec, const std::vector<std::string>& names) {
  std::vector<int> ids;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    auto it = std::find(names.begin(), names.end(), item);
    if (it != names.end()) {
      ids.push_back(static_cast<int>(it - names.begin()));
    } else if (std::all_of(item.begin(), item.end(), [](unsigned char c) { return std::isdigit(c); })) {
      ids.push_back(std::stoi(item));
    } else {
      std::string known;
      for (std::size_t i = 0; i < names.size() && i < 12; ++i)
        known += (i ? ", " : "") + names[i];
      throw Error("--classes: the model has no class '" + item + "' (classes: " + known +
                  (names.size() > 12 ? ", ..." : "") + ")");
    }
  }
  return ids;
}

} // namespace

engine::Precision precision_flag(const std::string& text) {
  const std::optional<engine::Precision> precision = engine::parse_precision(text);
  if (!precision) throw Error("--precision " + text + ": expected fp32, bf16 or int8");
  if (*precision == engine::Precision::kBf16 && !engine::native_bf16_available()) {
    std::cerr << "note: this CPU has no native bf16 (AVX512-BF16 or AMX): bf16 runs emulated, slower than "
                 "fp32\n";
  }
  return *precision;
}

void add_precision_option(CLI::App* cmd, std::string& precision) {
  cmd->add_option("--precision", precision,
                  "fp32 | bf16 (convolutions in bfloat16, onednn backend) | int8 (a quantized QDQ model, "
                  "see `tilescope model quantize`)")
      ->capture_default_str();
}

void add_detector_options(CLI::App* cmd, DetectorArgs& a) {
  cmd->add_option("--model", a.model, "ONNX file or TF.js model.json (default: NanoDet-m, COCO)");
  cmd->add_option("--conf", a.conf, "Confidence threshold")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--iou", a.iou, "NMS IoU threshold")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--max-det", a.max_det, "Maximum detections per image")->check(CLI::Range(1, 100000));
  cmd->add_option("--classes", a.classes, "Only these classes: names or ids, comma-separated (person,knife)");
  cmd->add_flag("--agnostic", a.agnostic, "Class-agnostic NMS");
  cmd->add_option("--imgsz", a.imgsz, "Input size for models with a dynamic input")
      ->check(CLI::Range(32, 8192));
  cmd->add_option("--head", a.head, "yolov8 | yolov5 | nanodet (default: recognised from the model)");
  cmd->add_option("--labels", a.labels, "Class names file, one per line");
  cmd->add_option("--batch", a.batch, "Images or tiles per engine run (0: a frame's tiles in one run)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  cmd->add_option("--threads", a.threads, "Inference threads (0 = all cores)");
  add_precision_option(cmd, a.precision);
  cmd->add_option("--backend", a.backend, "onednn | reference")
      ->check(CLI::IsMember({"reference", "onednn"}));
}

detect::Detector open_detector(const DetectorArgs& args) {
  detect::DetectorOptions options;
  options.session.backend = *engine::parse_backend(args.backend);
  options.session.precision = precision_flag(args.precision);
  options.session.threads = args.threads;
  options.head = args.head;
  options.labels_path = args.labels;
  options.input_size = args.imgsz;
  options.max_batch = args.batch;
  return detect::Detector::open(args.model.empty() ? default_model_path() : args.model, options);
}

detect::DetectOptions detect_options(const DetectorArgs& args, const detect::Detector& detector) {
  detect::DetectOptions options;
  options.nms.conf_threshold = args.conf;
  options.nms.iou_threshold = args.iou;
  options.nms.max_detections = args.max_det;
  options.nms.agnostic = args.agnostic;
  options.nms.classes = resolve_classes(args.classes, detector.class_names());
  detect::check_nms_options(options.nms);
  return options;
}

} // namespace tilescope::cli
