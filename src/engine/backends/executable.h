// The interface between Session and a backend: a graph compiled for fixed input
// shapes.
#pragma once

#include "tilescope/engine/graph.h"
#include "tilescope/engine/session.h"

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tilescope::engine {

class Executable {
public:
  virtual ~Executable() = default;
  // `inputs` in graph.inputs order with the compiled shapes; returns the outputs
  // in graph.outputs order.
  virtual std::vector<Tensor> run(std::span<const Tensor* const> inputs) = 0;
  virtual MemoryReport memory() const = 0;
  // Compiled with capture on (SessionOptions::capture_values): the node outputs
  // the last run() materialised, by value name; empty otherwise.
  virtual std::map<std::string, Tensor> take_captured() { return {}; }
};

// `graph` has static input shapes, inferred value types and folded constants.
// `capture`: keep a copy of node outputs at each run (take_captured).
std::unique_ptr<Executable> compile_reference(const Graph& graph, bool capture = false);
// `bf16`: convolutions in bfloat16 (SessionOptions::precision, Precision::kBf16).
std::unique_ptr<Executable> compile_onednn(const Graph& graph, int threads, bool capture = false,
                                           bool bf16 = false);

} // namespace tilescope::engine
