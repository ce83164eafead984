// Ultralytics YOLOv8 / YOLO11 detection head, as `yolo export format=onnx` writes it.
//
//   output0: float32 [B, 4 + nc, N]      N anchors = sum over strides 8, 16, 32 of (H/s) * (W/s)
//                                          (8400 at 640x640)
//                 anchor 0   anchor 1   ...   anchor N-1
//     row 0       cx         cx               cx          box centre x  } input pixels
//     row 1       cy         cy               cy          box centre y  }
//     row 2       w          w                w           box width     }
//     row 3       h          h                h           box height    }
//     row 4       score 0    score 0          score 0     class 0, sigmoid already applied
//     ...
//     row 3 + nc  score nc-1 ...
//
// Decoding as ultralytics/utils/ops.py non_max_suppression (multi_label=False):
// score = max over classes (first class on ties), keep score > conf, and
// xywh2xyxy in float32: x1 = cx - w / 2, x2 = cx + w / 2.
#include "heads.h"
#include "tilescope/core/error.h"

#include <memory>

namespace tilescope::detect {
namespace {

constexpr std::int64_t kBoxRows = 4;

class Yolov8Head final : public Head {
public:
  explicit Yolov8Head(int num_classes) : num_classes_(num_classes) {}

  std::string_view name() const override { return "yolov8"; }
  int num_classes() const override { return num_classes_; }
  PreprocessSpec preprocess() const override { return PreprocessSpec::ultralytics(); }

  void check_outputs(std::span<const engine::Tensor> outputs, cv::Size /*input_size*/) const override {
    if (outputs.empty()) throw Error("yolov8: the model returned no outputs");
    heads::check_output(name(), 0, outputs[0], -1, kBoxRows + num_classes_, -1);
  }

  void decode(std::span<const engine::Tensor> outputs, std::int64_t batch_index, cv::Size /*input_size*/,
              float conf_threshold, std::vector<Detection>& candidates_in_input) const override {
    const engine::Tensor& out = outputs[0];
    const std::int64_t n = out.shape()[2];
    const std::size_t anchors = static_cast<std::size_t>(n);
    const float* base = out.data<float>() + batch_index * (kBoxRows + num_classes_) * n;

    // Class rows are contiguous per class: take the running max row by row
    // (sequential reads) instead of striding N floats per anchor.
    best_score_.assign(base + kBoxRows * n, base + (kBoxRows + 1) * n);
    best_class_.assign(anchors, 0);
    for (int c = 1; c < num_classes_; ++c) {
      const float* row = base + (kBoxRows + c) * n;
      for (std::size_t a = 0; a < anchors; ++a) {
        if (row[a] > best_score_[a]) {
          best_score_[a] = row[a];
          best_class_[a] = c;
        }
      }
    }
    for (std::size_t a = 0; a < anchors; ++a) {
      if (!(best_score_[a] > conf_threshold)) continue;
      const float cx = base[a], cy = base[n + a], half_w = base[2 * n + a] / 2, half_h = base[3 * n + a] / 2;
      candidates_in_input.push_back(
          {{cx - half_w, cy - half_h, cx + half_w, cy + half_h}, best_score_[a], best_class_[a]});
    }
  }

private:
  int num_classes_;
  mutable std::vector<float> best_score_; // per anchor, reused between calls
  mutable std::vector<int> best_class_;
};

// [B, 4+nc, N]: the class dim is static and, unlike YOLOv5's [B, N, 5+nc],
// smaller than the anchor dim (or the anchor dim is dynamic).
bool recognises(const ModelSignature& s) {
  if (s.outputs.size() != 1 || s.outputs[0].dims.size() != 3) return false;
  const std::int64_t channels = heads::dim(s.outputs[0], 1), anchors = heads::dim(s.outputs[0], 2);
  return channels > kBoxRows && (anchors < 0 || channels < anchors);
}

std::unique_ptr<Head> create(const ModelSignature& s) {
  if (s.outputs.empty()) throw Error("yolov8: the model has no outputs");
  const engine::ValueInfo& out = s.outputs[0];
  const std::int64_t channels = heads::dim(out, 1);
  if (out.dims.size() != 3 || channels <= kBoxRows) {
    throw Error("yolov8: output " + out.name + " is " + dims_str(out) +
                "; expected [batch, 4 + classes, anchors] with a fixed class dimension");
  }
  return std::make_unique<Yolov8Head>(static_cast<int>(channels - kBoxRows));
}

} // namespace

void register_yolov8_head(HeadRegistry& registry) {
  registry.add({"yolov8", "Ultralytics YOLOv8 / YOLO11: one output [batch, 4 + classes, anchors]", recognises,
                create});
}

} // namespace tilescope::detect
