// The interface between Session and a backend: a graph compiled for fixed input
// shapes.
#pragma once

#include "tilescope/engine/graph.h"
#include "tilescope/engine/session.h"

#include <memory>
#include <span>
#include <vector>

namespace tilescope::engine {

class Executable {
public:
  virtual ~Executable() = default;
  // `inputs` in graph.inputs order with the compiled shapes; returns the outputs
  // in graph.outputs order.
  virtual std::vector<Tensor> run(std::span<const Tensor* const> inputs) = 0;
  virtual MemoryReport memory() const = 0;
};

// `graph` has static input shapes, inferred value types and folded constants.
std::unique_ptr<Executable> compile_reference(const Graph& graph);
std::unique_ptr<Executable> compile_onednn(const Graph& graph, int threads);

} // namespace tilescope::engine
