#include "heads/heads.h"
#include "tilescope/core/error.h"

#include <algorithm>

namespace tilescope::detect {

const HeadRegistry& HeadRegistry::instance() {
  static const HeadRegistry registry = [] {
    HeadRegistry r;
    register_nanodet_head(r);
    register_yolov5_head(r);
    register_yolov8_head(r);
    return r;
  }();
  return registry;
}

void HeadRegistry::add(HeadEntry entry) {
  if (find(entry.name) != nullptr) throw Error("head '" + std::string(entry.name) + "' registered twice");
  entries_.push_back(entry);
}

const HeadEntry* HeadRegistry::find(std::string_view name) const {
  auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const HeadEntry& e) { return e.name == name; });
  return it == entries_.end() ? nullptr : &*it;
}

std::unique_ptr<Head> HeadRegistry::create(std::string_view name, const ModelSignature& signature) const {
  if (!name.empty() && name != "auto") {
    const HeadEntry* entry = find(name);
    if (entry == nullptr) {
      std::string known;
      for (const HeadEntry& e : entries_)
        known += (known.empty() ? "" : ", ") + std::string(e.name);
      throw Error("unknown head '" + std::string(name) + "' (known: " + known + ")");
    }
    return entry->create(signature);
  }
  std::vector<const HeadEntry*> matches;
  for (const HeadEntry& e : entries_) {
    if (e.recognises(signature)) matches.push_back(&e);
  }
  if (matches.size() == 1) return matches[0]->create(signature);

  std::string outputs;
  for (const engine::ValueInfo& v : signature.outputs)
    outputs += (outputs.empty() ? "" : ", ") + v.name + " " + dims_str(v);
  if (matches.empty()) {
    std::string heads;
    for (const HeadEntry& e : entries_)
      heads += "\n  " + std::string(e.name) + ": " + std::string(e.description);
    throw Error("cannot tell the model's head from its outputs (" + outputs +
                "); choose one with --head. Known heads:" + heads);
  }
  std::string names;
  for (const HeadEntry* e : matches)
    names += (names.empty() ? "" : ", ") + std::string(e->name);
  throw Error("outputs (" + outputs + ") fit several heads (" + names + "); choose one with --head");
}

std::string dims_str(const engine::ValueInfo& value) {
  if (!value.has_shape) return "[?]";
  std::string s = "[";
  for (std::size_t i = 0; i < value.dims.size(); ++i) {
    if (i) s += ",";
    s += value.dims[i].is_static() ? std::to_string(value.dims[i].value) : "?";
  }
  return s + "]";
}

namespace heads {

std::int64_t dim(const engine::ValueInfo& value, std::size_t i) {
  return value.has_shape && i < value.dims.size() && value.dims[i].is_static() ? value.dims[i].value : -1;
}

void check_output(std::string_view head, std::size_t index, const engine::Tensor& tensor, std::int64_t d0,
                  std::int64_t d1, std::int64_t d2) {
  const engine::Shape& s = tensor.shape();
  const std::int64_t want[3] = {d0, d1, d2};
  bool ok = tensor.dtype() == engine::DType::kFloat32 && s.size() == 3;
  for (std::size_t i = 0; ok && i < 3; ++i)
    ok = want[i] < 0 || s[i] == want[i];
  if (ok) return;
  std::string expected = "float32 [";
  for (std::size_t i = 0; i < 3; ++i) {
    if (i) expected += ',';
    expected += want[i] < 0 ? std::string("?") : std::to_string(want[i]);
  }
  throw Error(std::string(head) + ": output " + std::to_string(index) + " is " +
              std::string(engine::dtype_name(tensor.dtype())) + " " + engine::shape_str(s) + "; expected " +
              expected + "]");
}

} // namespace heads

ModelSignature signature_with_compiled_shapes(const engine::Graph& model, const engine::Graph& compiled) {
  ModelSignature signature{model.inputs, model.outputs, model.metadata, std::nullopt};
  for (engine::ValueInfo& out : signature.outputs) {
    out.dims.clear();
    for (std::int64_t d : compiled.type_of(out.name).shape)
      out.dims.push_back({d, ""});
    out.has_shape = true;
  }
  return signature;
}

} // namespace tilescope::detect
