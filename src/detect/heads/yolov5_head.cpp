// YOLOv5 (ultralytics/yolov5 export.py) detection head.
//
//   output0: float32 [B, N, 5 + nc]      N = 3 anchors x sum over strides 8, 16, 32 of (H/s) * (W/s)
//                                          (25200 at 640x640)
//                 col 0  col 1  col 2  col 3  col 4       col 5 ...   col 4 + nc
//     anchor 0    cx     cy     w      h      objectness  class 0     class nc-1
//     anchor 1    cx     cy     w      h      objectness  ...
//     ...         (box in input pixels; objectness and classes sigmoid already applied)
//     anchor N-1
//
// Decoding as yolov5/utils/general.py non_max_suppression (multi_label=False):
// keep objectness > conf, score = objectness * class (float32), best class (first
// on ties), keep score > conf, xywh2xyxy in float32.
#include "heads.h"
#include "tilescope/core/error.h"

#include <memory>

namespace tilescope::detect {
namespace {

constexpr std::int64_t kLeadingCols = 5; // cx, cy, w, h, objectness

class Yolov5Head final : public Head {
public:
  explicit Yolov5Head(int num_classes) : num_classes_(num_classes) {}

  std::string_view name() const override { return "yolov5"; }
  int num_classes() const override { return num_classes_; }
  PreprocessSpec preprocess() const override { return PreprocessSpec::ultralytics(); }

  void check_outputs(std::span<const engine::Tensor> outputs, cv::Size /*input_size*/) const override {
    if (outputs.empty()) throw Error("yolov5: the model returned no outputs");
    heads::check_output(name(), 0, outputs[0], -1, -1, kLeadingCols + num_classes_);
  }

  void decode(std::span<const engine::Tensor> outputs, std::int64_t batch_index, cv::Size /*input_size*/,
              float conf_threshold, std::vector<Detection>& candidates_in_input) const override {
    const engine::Tensor& out = outputs[0];
    const std::int64_t anchors = out.shape()[1];
    const std::int64_t cols = kLeadingCols + num_classes_;
    const float* base = out.data<float>() + batch_index * anchors * cols;
    for (std::int64_t a = 0; a < anchors; ++a) {
      const float* row = base + a * cols;
      const float objectness = row[4];
      if (!(objectness > conf_threshold)) continue; // YOLOv5's first filter (xc)
      float best = row[kLeadingCols] * objectness;
      int best_class = 0;
      for (int c = 1; c < num_classes_; ++c) {
        const float score = row[kLeadingCols + c] * objectness;
        if (score > best) best = score, best_class = c;
      }
      if (!(best > conf_threshold)) continue;
      const float half_w = row[2] / 2, half_h = row[3] / 2;
      candidates_in_input.push_back(
          {{row[0] - half_w, row[1] - half_h, row[0] + half_w, row[1] + half_h}, best, best_class});
    }
  }

private:
  int num_classes_;
};

// [B, N, 5+nc]: the class dim is static and smaller than the anchor dim (or the
// anchor dim is dynamic).
bool recognises(const ModelSignature& s) {
  if (s.outputs.size() != 1 || s.outputs[0].dims.size() != 3) return false;
  const std::int64_t anchors = heads::dim(s.outputs[0], 1), cols = heads::dim(s.outputs[0], 2);
  return cols > kLeadingCols && (anchors < 0 || cols < anchors);
}

std::unique_ptr<Head> create(const ModelSignature& s) {
  if (s.outputs.empty()) throw Error("yolov5: the model has no outputs");
  const engine::ValueInfo& out = s.outputs[0];
  const std::int64_t cols = heads::dim(out, 2);
  if (out.dims.size() != 3 || cols <= kLeadingCols) {
    throw Error("yolov5: output " + out.name + " is " + dims_str(out) +
                "; expected [batch, anchors, 5 + classes] with a fixed class dimension");
  }
  return std::make_unique<Yolov5Head>(static_cast<int>(cols - kLeadingCols));
}

} // namespace

void register_yolov5_head(HeadRegistry& registry) {
  registry.add(
      {"yolov5", "YOLOv5: one output [batch, anchors, 5 + classes] with objectness", recognises, create});
}

} // namespace tilescope::detect
