// Batch splitting: a batch-N graph run as N runs of its batch-1 version.
//
// Why: at 640x640 one YOLO sample's activations (a few MB per layer) stay in
// the L2/L3 caches from one layer to the next, a batch of 4 does not. Measured
// on YOLO11n (Zen 5, 2 threads): batch 4 took 77 ms as one graph, 4.6x batch 1;
// run sample by sample it is 4x batch 1. Outputs are the same computation.
#pragma once

#include "tilescope/engine/graph.h"

#include <cstdint>
#include <optional>

namespace tilescope::engine::onednn {

struct PerSampleGraph {
  Graph graph;            // every input and output with dim 0 = 1, types inferred
  std::int64_t batch = 0; // dim 0 of the original inputs and outputs
};

// The batch-1 graph computing one sample of `graph`, when `graph` (static
// shapes, types inferred) has batch > 1 in dim 0 of every input and output and
// every node is known to treat dim 0 as an independent batch: each runtime
// value has dim 0 = batch, no axis-wise op works along dim 0, constants that
// broadcast against runtime values have dim 0 = 1, and shape-like constants
// (Reshape shape, Resize sizes, Expand shape) name the batch only in dim 0,
// where they get 1. nullopt otherwise (including unknown ops), and always when
// TILESCOPE_BATCH_SPLIT=0.
std::optional<PerSampleGraph> per_sample_graph(const Graph& graph);

} // namespace tilescope::engine::onednn
