// Model heads: how a detection model's raw outputs turn into boxes.
//
// A head knows one output layout (one file per head under src/detect/heads/,
// each opening with a picture of its tensors), the preprocessing its model was
// trained with, and how to decode candidates. The HeadRegistry recognises the
// head of a model from its output shapes and metadata, or takes one by name.
#pragma once

#include "tilescope/detect/detection.h"
#include "tilescope/detect/letterbox.h"
#include "tilescope/engine/graph.h"
#include "tilescope/engine/tensor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tilescope::detect {

// What the registry and heads may look at: the model's declared inputs and
// outputs (dims < 0 are dynamic), its metadata, and how many class names the
// user or the metadata supplied (a hint to tell outputs apart).
struct ModelSignature {
  std::vector<engine::ValueInfo> inputs;
  std::vector<engine::ValueInfo> outputs;
  std::map<std::string, std::string> metadata;
  std::optional<int> num_classes_hint;
};

// `model`'s signature with the output shapes that `compiled` (the model compiled for a concrete
// input) inferred, so heads are recognised from real sizes even when the export declares [?,?,?].
ModelSignature signature_with_compiled_shapes(const engine::Graph& model, const engine::Graph& compiled);

class Head {
public:
  virtual ~Head() = default;

  virtual std::string_view name() const = 0; // "yolov8", "yolov5", "nanodet"
  virtual int num_classes() const = 0;
  virtual PreprocessSpec preprocess() const = 0;
  // Names to use when neither the model nor the user gives any (empty: class<i>).
  virtual std::vector<std::string> default_class_names() const { return {}; }

  // Checks one run's outputs (in the model's output order) against the layout
  // and the input size (width, height): throws Error naming the output and both
  // shapes when they do not fit. decode() relies on it and does not throw.
  virtual void check_outputs(std::span<const engine::Tensor> outputs, cv::Size input_size) const = 0;

  // Appends the candidates of batch item `batch_index` whose score is
  // > conf_threshold to `candidates_in_input`: boxes in the model input's pixels
  // (input_size = its width and height), one candidate per place (best class),
  // in output order. Call check_outputs first. Not thread-safe (heads may keep
  // scratch buffers).
  virtual void decode(std::span<const engine::Tensor> outputs, std::int64_t batch_index, cv::Size input_size,
                      float conf_threshold, std::vector<Detection>& candidates_in_input) const = 0;
};

struct HeadEntry {
  std::string_view name;
  std::string_view description; // one line for `--head` help and error messages
  // True when the outputs look like this head's (cheap, no throwing).
  bool (*recognises)(const ModelSignature& signature);
  // Builds the head; throws Error saying which output does not fit.
  std::unique_ptr<Head> (*create)(const ModelSignature& signature);
};

class HeadRegistry {
public:
  // All built-in heads (registered in head_registry.cpp, one line each).
  static const HeadRegistry& instance();

  void add(HeadEntry entry);
  const HeadEntry* find(std::string_view name) const;
  const std::vector<HeadEntry>& entries() const { return entries_; }

  // `name` empty or "auto": the one head that recognises the signature; Error
  // listing the output shapes when none or several do. Otherwise the named head
  // (Error listing the known names when there is none).
  std::unique_ptr<Head> create(std::string_view name, const ModelSignature& signature) const;

private:
  std::vector<HeadEntry> entries_;
};

// "[1,84,8400]" with "?" for dynamic dims; for error messages.
std::string dims_str(const engine::ValueInfo& value);

} // namespace tilescope::detect
