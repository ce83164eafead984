#include "tilescope/verify/verifier.h"

#include "tilescope/core/error.h"
#include "tilescope/detect/class_names.h"
#include "tilescope/detect/head.h"
#include "tilescope/detect/nms.h"
#include "verify_inputs.h"

#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace tilescope::verify {
namespace {

// Where a value comes from: the model node producing it (its position is the
// topological order reports use) and the candidate node that writes it.
struct ValueOrigin {
  std::size_t order = std::numeric_limits<std::size_t>::max();
  std::string original_node, original_op;
  std::string node, op;
  std::vector<std::string> fused_from;
};

class Origins {
public:
  Origins(const engine::Graph& model, const engine::Graph& candidate) {
    for (std::size_t i = 0; i < model.nodes.size(); ++i) {
      for (const std::string& out : model.nodes[i].outputs)
        model_producer_.emplace(out, i);
    }
    for (const engine::Node& node : candidate.nodes) {
      for (const std::string& out : node.outputs)
        candidate_producer_.emplace(out, &node);
    }
    model_ = &model;
  }

  ValueOrigin of(const std::string& value) const {
    ValueOrigin o;
    if (auto it = model_producer_.find(value); it != model_producer_.end()) {
      o.order = it->second;
      o.original_node = model_->nodes[it->second].name;
      o.original_op = model_->nodes[it->second].op_type;
    }
    if (auto it = candidate_producer_.find(value); it != candidate_producer_.end()) {
      o.node = it->second->name;
      o.op = it->second->op_type;
      o.fused_from = it->second->fused_from;
    } else {
      o.node = o.original_node;
      o.op = o.original_op;
    }
    return o;
  }

private:
  const engine::Graph* model_ = nullptr;
  std::map<std::string, std::size_t> model_producer_;
  std::map<std::string, const engine::Node*> candidate_producer_;
};

// One compared value being accumulated over the inputs.
struct Tracked {
  NodeResult result;
  ErrorAccumulator acc;
};

Tracked make_tracked(const std::string& value, const Origins& origins, const BudgetSet& budgets,
                     const engine::Shape& shape, bool is_output) {
  const ValueOrigin o = origins.of(value);
  NodeResult r;
  r.order = o.order;
  r.value = value;
  r.node = o.node;
  r.op = o.op;
  r.fused_from = o.fused_from;
  r.original_node = o.original_node;
  r.original_op = o.original_op;
  r.shape = shape;
  r.is_graph_output = is_output;
  const NodeNames names{o.node, o.fused_from, value, o.op, o.original_op};
  const BudgetRule* rule = budgets.rule_for(names);
  r.budget = rule != nullptr ? rule->budget : budgets.default_budget;
  r.budget_rule = rule != nullptr ? rule->label : "default";
  const Tolerance tolerance = r.budget.tolerance;
  return Tracked{std::move(r), ErrorAccumulator(tolerance)};
}

engine::Session open_session(const engine::Graph& model, engine::SessionOptions options,
                             const std::map<std::string, engine::Shape>& shapes, const std::string& path,
                             const BackendSpec& spec) {
  options.input_shapes = shapes;
  try {
    return engine::Session::from_graph(model.clone(), options);
  } catch (const Error& e) {
    throw Error(path + " (" + spec.str() + "): " + e.what());
  }
}

// The detection head, or nullptr (with a note) when the model has none.
std::unique_ptr<detect::Head> find_head(const std::string& name, const engine::Graph& model,
                                        const engine::Graph& compiled, std::vector<std::string>& notes) {
  if (name == "none") return nullptr;
  detect::ModelSignature signature = detect::signature_with_compiled_shapes(model, compiled);
  if (auto it = model.metadata.find("names"); it != model.metadata.end()) {
    try {
      signature.num_classes_hint = static_cast<int>(detect::parse_names_metadata(it->second).size());
    } catch (const Error&) {
      // Unreadable names only lose the hint; the head may still be recognised.
    }
  }
  if (name != "auto" && !name.empty()) return detect::HeadRegistry::instance().create(name, signature);
  try {
    return detect::HeadRegistry::instance().create("auto", signature);
  } catch (const Error& e) {
    notes.push_back(std::string("detections not compared: ") + e.what());
    return nullptr;
  }
}

// The candidate's list reaches far below the deployment threshold (mAP scores
// it), so its cap is higher than the reference's 300: it must not cut off boxes
// above the threshold that the reference keeps.
constexpr int kCandidateMaxDetections = 3000;

std::vector<detect::Detection> decode(const detect::Head& head, std::span<const engine::Tensor> outputs,
                                      cv::Size input_size, float conf, int max_detections, detect::Nms& nms) {
  std::vector<detect::Detection> candidates, kept;
  head.decode(outputs, 0, input_size, conf, candidates);
  detect::NmsOptions options;
  options.conf_threshold = conf;
  options.max_detections = max_detections;
  nms.run(candidates, options, kept);
  return kept;
}

std::string shapes_text(const std::map<std::string, engine::Shape>& shapes) {
  std::string s;
  for (const auto& [name, shape] : shapes)
    s += (s.empty() ? "" : ", ") + name + "=" + engine::shape_str(shape);
  return s;
}

NodeResult finish(Tracked& t) {
  t.result.stats = t.acc.stats();
  t.result.check = check_budget(t.result.stats, t.result.budget);
  return std::move(t.result);
}

} // namespace

VerifyResult run_verification(const VerifyOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.n < 1) throw Error("the number of inputs must be >= 1, got " + std::to_string(options.n));
  VerifyResult result;
  result.model_path = options.model_path;
  result.against = options.against.str();
  result.candidate = options.candidate.str();
  result.budgets = options.budget_path.empty()
                       ? default_budgets(options.candidate.precision)
                       : load_budget_file(options.budget_path, options.candidate.precision);
  const engine::SessionOptions against_options = session_options_for(options.against, options.threads);
  const engine::SessionOptions candidate_options = session_options_for(options.candidate, options.threads);

  const engine::Graph model = engine::load_model(options.model_path);
  const std::map<std::string, engine::Shape> shapes = [&] {
    try {
      return static_input_shapes(model, options.imgsz);
    } catch (const Error& e) {
      throw Error(options.model_path + ": " + e.what());
    }
  }();
  result.input_shapes = shapes_text(shapes);
  engine::Session against = open_session(model, against_options, shapes, options.model_path, options.against);
  engine::Session candidate =
      open_session(model, candidate_options, shapes, options.model_path, options.candidate);
  const engine::Graph& candidate_graph = candidate.compiled_graph();

  std::unique_ptr<detect::Head> head = find_head(options.head, model, candidate_graph, result.notes);
  if (head) result.head = std::string(head->name());

  std::vector<VerifyInput> inputs;
  if (options.inputs == "random") {
    inputs = random_inputs(model, shapes, options.n, options.seed);
    result.inputs = "random uniform [0, 1), seed " + std::to_string(options.seed);
  } else {
    const detect::PreprocessSpec spec = head ? head->preprocess() : detect::PreprocessSpec::ultralytics();
    inputs = image_inputs(options.inputs, model, shapes, options.n, spec);
    result.inputs =
        options.inputs + " (letterboxed" + (head ? " for the " + result.head + " head" : "") + ")";
    if (static_cast<int>(inputs.size()) < options.n) {
      result.notes.push_back("the folder has " + std::to_string(inputs.size()) + " images, fewer than --n " +
                             std::to_string(options.n));
    }
  }
  result.n = static_cast<int>(inputs.size());
  for (const VerifyInput& in : inputs)
    result.input_names.push_back(in.name);

  const Origins origins(model, candidate_graph);
  std::map<std::string, Tracked> values;
  std::vector<Tracked> outputs;
  std::set<std::string> against_only, candidate_only;
  std::optional<DetectionComparer> detections;
  cv::Size input_size;
  if (head) {
    const engine::Shape& s = shapes.at(model.inputs.at(0).name);
    input_size = cv::Size(static_cast<int>(s.at(3)), static_cast<int>(s.at(2)));
    detections.emplace(head->num_classes(), options.conf_threshold);
  }
  detect::Nms nms;

  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (options.on_input) options.on_input(static_cast<int>(i), static_cast<int>(inputs.size()));
    std::map<std::string, const engine::Tensor*> feeds;
    for (const auto& [name, t] : inputs[i].tensors)
      feeds[name] = &t;
    const std::vector<engine::Tensor> ref_out = against.run(feeds);
    std::map<std::string, engine::Tensor> ref_values = against.take_captured();
    const std::vector<engine::Tensor> cand_out = candidate.run(feeds);
    std::map<std::string, engine::Tensor> cand_values = candidate.take_captured();

    for (const auto& [name, cand] : cand_values) {
      auto ref = ref_values.find(name);
      if (ref == ref_values.end()) {
        candidate_only.insert(name);
        continue;
      }
      auto it = values.find(name);
      if (it == values.end()) {
        it = values
                 .emplace(name, make_tracked(name, origins, result.budgets, cand.shape(),
                                             model.is_graph_output(name)))
                 .first;
      }
      it->second.acc.add(ref->second, cand);
    }
    for (const auto& [name, ref] : ref_values) {
      if (!cand_values.count(name) && ref.dtype() == engine::DType::kFloat32) against_only.insert(name);
    }
    for (std::size_t k = 0; k < model.outputs.size(); ++k) {
      if (outputs.size() <= k) {
        outputs.push_back(
            make_tracked(model.outputs[k].name, origins, result.budgets, ref_out[k].shape(), true));
      }
      outputs[k].acc.add(ref_out[k], cand_out[k]);
    }
    if (head) {
      head->check_outputs(ref_out, input_size);
      head->check_outputs(cand_out, input_size);
      const int cap = detect::NmsOptions{}.max_detections;
      std::vector<detect::Detection> ref_dets =
          decode(*head, ref_out, input_size, options.conf_threshold, cap, nms);
      const bool capped = static_cast<int>(ref_dets.size()) >= cap;
      detections->add(
          ref_dets, decode(*head, cand_out, input_size, options.candidate_conf, kCandidateMaxDetections, nms),
          capped);
    }
  }

  for (auto& [name, tracked] : values)
    result.nodes.push_back(finish(tracked));
  std::stable_sort(result.nodes.begin(), result.nodes.end(),
                   [](const NodeResult& a, const NodeResult& b) { return a.order < b.order; });
  for (Tracked& t : outputs)
    result.outputs.push_back(finish(t));
  for (std::size_t i = 0; i < result.nodes.size() && !result.first_failure; ++i) {
    if (!result.nodes[i].check.passed) result.first_failure = i;
  }
  result.inside_fused = against_only.size();
  if (!candidate_only.empty()) {
    result.notes.push_back(std::to_string(candidate_only.size()) + " values of the candidate have no " +
                           result.against + " counterpart (not compared), e.g. '" + *candidate_only.begin() +
                           "'");
  }
  // A graph output the candidate does not capture (not float32) still gates.
  for (const NodeResult& out : result.outputs) {
    if (!out.check.passed && !values.count(out.value) && !result.first_failure) {
      result.nodes.push_back(out);
      result.first_failure = result.nodes.size() - 1;
    }
  }

  if (detections) {
    result.detections = detections->result();
    const DetectionComparison& d = *result.detections;
    std::ostringstream s;
    if (d.map50 >= 0 && d.map50 < result.budgets.detections.min_map50) {
      s << "mAP@0.5 " << d.map50 << " < " << result.budgets.detections.min_map50;
      result.detection_violations.push_back(s.str());
      s.str("");
    }
    if (d.max_score_delta > result.budgets.detections.max_score_delta) {
      s << "score delta " << d.max_score_delta << " > " << result.budgets.detections.max_score_delta;
      result.detection_violations.push_back(s.str());
    }
    if (d.capped_images > 0) {
      result.notes.push_back(std::to_string(d.capped_images) + " of " +
                             std::to_string(d.capped_images + d.images) +
                             " inputs left out of the detection comparison: the reference kept its maximum " +
                             std::to_string(detect::NmsOptions{}.max_detections) +
                             " boxes there, a list cut through near-equal scores (an untrained or "
                             "degenerate model); node comparisons still apply");
    }
    if (d.map50 < 0 && d.images > 0) {
      result.notes.push_back("the reference detected nothing above " +
                             std::to_string(options.conf_threshold) +
                             " on these inputs: mAP is undefined (random inputs rarely look like objects; "
                             "use --inputs DIR_OF_IMAGES)");
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

} // namespace tilescope::verify
