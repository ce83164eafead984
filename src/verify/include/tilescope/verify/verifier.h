// `tilescope verify`: one model, two backends, the same inputs; every node
// output both materialise is compared, in the model's topological order, and
// checked against its budget; for detection models the decoded detections too.
//
//   VerifyOptions o;
//   o.model_path = "yolov8n.onnx";
//   o.candidate = parse_backend_spec("onednn:fp32");
//   VerifyResult r = run_verification(o);
//   if (!r.passed()) std::cout << r.nodes[*r.first_failure].node << "\n";
//
// How values are matched across fusion: graph passes fuse nodes (Conv+BN,
// Conv+activation, residual Adds) into one node that keeps the first node's
// name and writes the value of the last one (fuse_conv_*.cpp); the fused node
// lists what it absorbed in Node::fused_from. Values keep their names, so both
// sides are captured by value name (SessionOptions::capture_values): the
// reference runs unfused (every model node's output exists), the candidate as
// in production, and the values compared are those the candidate stores. A
// value that only exists inside a fused step (a Conv's output before its fused
// activation) is compared at the fused boundary, the fused node's output, and
// counted in VerifyResult::inside_fused.
#pragma once

#include "tilescope/verify/backend_spec.h"
#include "tilescope/verify/budget.h"
#include "tilescope/verify/detection_compare.h"
#include "tilescope/verify/metrics.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tilescope::verify {

struct VerifyOptions {
  std::string model_path; // .onnx or TF.js model.json
  BackendSpec against{engine::Backend::kReference, Precision::kFp32};
  BackendSpec candidate{engine::Backend::kOnednn, Precision::kFp32};
  // "random": uniform [0, 1) floats (the range of a YOLO input); else a folder
  // of images, letterboxed as the detector does (the head's preprocessing, or
  // Ultralytics' when the model has no recognised head).
  std::string inputs = "random";
  int n = 8;                     // inputs (random ones, or the first n images by file name)
  std::uint64_t seed = 0;        // random inputs
  int imgsz = 640;               // height and width for dynamic input dims (dynamic batch: 1)
  int threads = 0;               // onednn threads (0: all cores)
  std::string head = "auto";     // detection head: "auto", "none" (no detection comparison) or a name
  std::string budget_path;       // empty: default budgets of the candidate's precision
  float conf_threshold = 0.25f;  // reference detections (ground truth)
  float candidate_conf = 0.001f; // candidate detections scored by mAP
  // Called before each input runs (index, n), e.g. for progress on stderr.
  std::function<void(int, int)> on_input;
};

struct NodeResult {
  std::size_t order = 0;               // position in the model's topological order
  std::string value;                   // the compared tensor
  std::string node;                    // the candidate's node that wrote it
  std::string op;                      // its op type
  std::vector<std::string> fused_from; // model nodes fused into `node`
  std::string original_node;           // the model node that produces `value`
  std::string original_op;
  engine::Shape shape;
  bool is_graph_output = false;
  ErrorStats stats;
  Budget budget;
  std::string budget_rule; // "default" or the rule's label
  BudgetCheck check;
};

struct VerifyResult {
  std::string model_path;
  std::string against, candidate;       // BackendSpec::str()
  std::string inputs;                   // "random (seed 0)" or the folder
  std::vector<std::string> input_names; // image files, or "random #i"
  std::string input_shapes;             // "images=[1,3,640,640]"
  int n = 0;
  BudgetSet budgets;
  std::vector<NodeResult> nodes;   // in the model's topological order
  std::vector<NodeResult> outputs; // the graph outputs (also among nodes)
  // Values the against side has but the candidate does not store: they exist
  // only inside its fused steps (compared at the fused node's output instead).
  std::size_t inside_fused = 0;
  std::string head; // detection head used, empty when none
  std::optional<DetectionComparison> detections;
  std::vector<std::string> detection_violations;
  std::optional<std::size_t> first_failure; // index into nodes
  std::vector<std::string> notes;
  double seconds = 0;

  bool nodes_passed() const { return !first_failure.has_value(); }
  bool detections_passed() const { return detection_violations.empty(); }
  bool passed() const { return nodes_passed() && detections_passed(); }
};

// Runs the verification. Throws Error (naming the model, input or budget file)
// when it cannot run; a candidate beyond budget is a result, not an error.
VerifyResult run_verification(const VerifyOptions& options);

} // namespace tilescope::verify
