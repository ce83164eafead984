// The reference executor: runs each node's reference kernel in order, keeping
// values in a name -> Tensor map and freeing each one after its last reader
// (or keeping every one for take_captured() when compiled with capture on).
// Slow by design; it exists to be obviously right.
#include "backends/executable.h"
#include "backends/reference/op_registry.h"

#include <map>
#include <set>
#include <utility>

namespace tilescope::engine {
namespace {

class ReferenceExecutable final : public Executable {
public:
  ReferenceExecutable(const Graph& graph, bool capture) : graph_(graph.clone()), capture_(capture) {
    for (const Node& node : graph_.nodes) {
      const reference::OpDef* def = reference::OpRegistry::instance().find(node.domain, node.op_type);
      if (def == nullptr)
        throw Error(node.describe() + ": operator is not supported by the reference backend");
      defs_.push_back(def);
    }
    // Last node index reading each value; graph outputs are never freed.
    for (std::size_t i = 0; i < graph_.nodes.size(); ++i) {
      for (const std::string& in : graph_.nodes[i].inputs) {
        if (!in.empty()) last_use_[in] = i;
      }
    }
    for (const auto& [name, t] : graph_.initializers)
      weight_bytes_ += t.nbytes();
  }

  std::vector<Tensor> run(std::span<const Tensor* const> inputs) override {
    std::map<std::string, const Tensor*> bound;
    for (std::size_t i = 0; i < graph_.inputs.size(); ++i)
      bound[graph_.inputs[i].name] = inputs[i];
    for (const auto& [name, t] : graph_.initializers)
      bound[name] = &t;
    std::map<std::string, Tensor> values;

    for (std::size_t i = 0; i < graph_.nodes.size(); ++i) {
      const Node& node = graph_.nodes[i];
      std::vector<const Tensor*> in;
      for (const std::string& name : node.inputs) {
        if (name.empty()) {
          in.push_back(nullptr);
          continue;
        }
        auto it = bound.find(name);
        if (it == bound.end()) throw Error(node.describe() + ": input '" + name + "' has no value");
        in.push_back(it->second);
      }
      std::vector<Tensor> out_tensors;
      for (const std::string& name : node.outputs) {
        if (name.empty()) {
          out_tensors.emplace_back(DType::kFloat32, Shape{0});
          continue;
        }
        const ValueType& vt = graph_.type_of(name);
        out_tensors.emplace_back(vt.dtype, vt.shape);
      }
      std::vector<Tensor*> out;
      for (Tensor& t : out_tensors)
        out.push_back(&t);
      defs_[i]->run(reference::KernelContext{node, graph_.opset, in, out});
      for (std::size_t k = 0; k < node.outputs.size(); ++k) {
        if (node.outputs[k].empty()) continue;
        auto [it, inserted] = values.insert_or_assign(node.outputs[k], std::move(out_tensors[k]));
        bound[node.outputs[k]] = &it->second;
      }
      for (const std::string& name : node.inputs) {
        auto lu = last_use_.find(name);
        if (lu != last_use_.end() && lu->second == i && !graph_.is_graph_output(name) && values.count(name) &&
            !capture_) {
          bound.erase(name);
          values.erase(name);
        }
      }
    }
    std::vector<Tensor> outputs;
    for (const ValueInfo& out : graph_.outputs) {
      auto it = values.find(out.name);
      if (it != values.end()) {
        outputs.push_back(it->second.clone());
      } else {
        auto b = bound.find(out.name); // an input or initializer passed straight through
        if (b == bound.end()) throw Error("graph output '" + out.name + "' was not computed");
        outputs.push_back(b->second->clone());
      }
    }
    if (capture_) captured_ = std::move(values);
    return outputs;
  }

  std::map<std::string, Tensor> take_captured() override { return std::exchange(captured_, {}); }

  MemoryReport memory() const override {
    MemoryReport r;
    r.weight_bytes = weight_bytes_;
    return r;
  }

private:
  Graph graph_;
  std::vector<const reference::OpDef*> defs_;
  std::map<std::string, std::size_t> last_use_;
  std::size_t weight_bytes_ = 0;
  bool capture_ = false;
  std::map<std::string, Tensor> captured_;
};

} // namespace

std::unique_ptr<Executable> compile_reference(const Graph& graph, bool capture) {
  return std::make_unique<ReferenceExecutable>(graph, capture);
}

} // namespace tilescope::engine
