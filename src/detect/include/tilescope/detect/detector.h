// Detector: a model plus its head. Images in, boxes in each image's own pixels out.
//
//   auto detector = Detector::open("yolov8n.onnx");          // head recognised
//   DetectResult r = detector.detect({frame_a, frame_b}, {});  // one batched run
//   for (const Detection& d : r.detections_in_image[0]) ...
//
// Not thread-safe (it owns an engine::Session and scratch buffers): use one per thread.
#pragma once

#include "tilescope/detect/detection.h"
#include "tilescope/detect/head.h"
#include "tilescope/detect/letterbox.h"
#include "tilescope/detect/nms.h"
#include "tilescope/engine/session.h"

#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace tilescope::detect {

struct DetectorOptions {
  engine::SessionOptions session;
  std::string head;        // "" or "auto": recognised from the outputs; else yolov8 | yolov5 | nanodet
  std::string labels_path; // labels file (one name a line); when set it wins over the model's metadata
  // Square input size for models whose height/width are dynamic (Ultralytics'
  // imgsz); rounded up to a multiple of 32. Ignored when the model fixes them.
  int input_size = 640;
  // Images per run when the model's batch is dynamic; 0 = all images in one run.
  // A model with a fixed batch B runs B at a time.
  int max_batch = 0;
};

struct DetectOptions {
  NmsOptions nms; // confidence, IoU, max detections, agnostic, class filter
};

struct DetectTimings {
  double preprocess_ms = 0;  // letterbox + normalisation into the batch tensor
  double inference_ms = 0;   // engine runs
  double postprocess_ms = 0; // decode + NMS + mapping back to image pixels
  int runs = 0;              // engine runs (batches)
};

struct DetectResult {
  // One list per input image, boxes in that image's pixels (clamped to it), by decreasing score.
  std::vector<std::vector<Detection>> detections_in_image;
  DetectTimings timings;
};

class Detector {
public:
  // Opens a model file (.onnx or TF.js model.json), recognises or picks its head
  // and resolves class names: labels file, else metadata `names`, else the head's
  // defaults (NanoDet: COCO), else class0... Throws Error (naming the file and
  // the problem) before any work is done when the model is unusable.
  static Detector open(const std::string& model_path, const DetectorOptions& options = {});
  // Same over an already loaded session (tests, tools building graphs in memory).
  static Detector create(engine::Session session, const DetectorOptions& options = {});

  Detector(Detector&&) noexcept;
  Detector& operator=(Detector&&) noexcept;
  ~Detector();

  // Detects in every image (8-bit BGR; grey and BGRA accepted), batching them
  // into as few runs as the model allows. Throws Error for an empty or
  // non-8-bit image (naming its index) or out-of-range options.
  DetectResult detect(const std::vector<cv::Mat>& images_bgr, const DetectOptions& options = {});

  const Head& head() const;
  const std::vector<std::string>& class_names() const;
  cv::Size input_size() const; // model input (width, height)
  // Images per engine run: the model's fixed batch, or max_batch (0: unlimited).
  int batch_limit() const;
  engine::Session& session();

private:
  struct Impl;
  explicit Detector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace tilescope::detect
