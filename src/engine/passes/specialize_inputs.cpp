#include "passes/passes.h"

namespace tilescope::engine::passes {

void specialize_inputs(Graph& graph, const std::map<std::string, Shape>& shapes) {
  for (const auto& [name, shape] : shapes) {
    bool known = false;
    for (const auto& in : graph.inputs)
      known = known || in.name == name;
    if (!known) throw Error("input shape given for '" + name + "', but the model has no input of that name");
  }
  for (ValueInfo& in : graph.inputs) {
    auto it = shapes.find(in.name);
    if (it == shapes.end()) {
      if (!in.has_shape)
        throw Error("input '" + in.name + "' has no shape in the model: give one when loading");
      for (std::size_t d = 0; d < in.dims.size(); ++d) {
        if (!in.dims[d].is_static()) {
          const std::string sym = in.dims[d].symbol.empty() ? "" : " ('" + in.dims[d].symbol + "')";
          throw Error("input '" + in.name + "' dimension " + std::to_string(d) + sym +
                      " is dynamic: fix it when loading (e.g. an input size or batch)");
        }
      }
      continue;
    }
    const Shape& shape = it->second;
    if (in.has_shape && in.dims.size() != shape.size()) {
      throw Error("input '" + in.name + "' has rank " + std::to_string(in.dims.size()) +
                  " in the model, but shape " + shape_str(shape) + " was given");
    }
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] <= 0)
        throw Error("input '" + in.name + "': shape " + shape_str(shape) + " has a non-positive dim");
      if (in.has_shape && in.dims[d].is_static() && in.dims[d].value != shape[d]) {
        throw Error("input '" + in.name + "' dimension " + std::to_string(d) + " is fixed to " +
                    std::to_string(in.dims[d].value) + " in the model, but " + std::to_string(shape[d]) +
                    " was given (shape " + shape_str(shape) + ")");
      }
    }
    in.dims.clear();
    for (std::int64_t v : shape)
      in.dims.push_back(Dim{v, ""});
    in.has_shape = true;
  }
}

} // namespace tilescope::engine::passes
