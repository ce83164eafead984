// Verification hooks of the onednn backend, for `tilescope verify` (src/verify):
// capturing node outputs, and a failpoint that injects a fault into one node.
//
// Capture (SessionOptions::capture_values): after the steps of each node, a
// reorder copies every float32 output the node defined into a plain Tensor the
// executable owns. The copies only read: the node's own steps, layouts, fusions
// and in-place decisions are exactly those of a plain compile, so the values are
// the ones production runs compute. Values that live only inside one step (a
// Conv's output before the activation fused into it, a Sigmoid the swish kernel
// computes with its Mul) are never stored and so have no copy.
//
// TILESCOPE_FAULT_NODE=<node name>, read once per compile: the node of that name,
// or the fused node it was merged into (Node::fused_from), gets its float32
// outputs perturbed right after its steps: elements in logical (row-major)
// order are multiplied alternately by 1.1 and 0.9, an error of 10% of every
// element (relative RMSE 0.1), which every later reader then sees. The value is
// reordered to plain, perturbed and reordered back, so blocked layouts keep
// their zero padding. When the output is a view of the node's input (Reshape,
// Split, Slice), the input's other readers see the perturbation too. Compiling a
// graph without a node of that name throws Error (a misspelt failpoint must not
// pass a test silently). Unset or empty: one getenv per compile, nothing else.
#pragma once

#include "backends/onednn/compiler.h"

#include <string>
#include <utility>
#include <vector>

namespace tilescope::engine::onednn {

struct DebugHooks {
  bool capture = false;
  std::string fault_node; // empty: no failpoint

  // `capture` as given, fault_node from TILESCOPE_FAULT_NODE.
  static DebugHooks from_environment(bool capture);
  bool fault_matches(const Node& node) const;
};

// Called by compile_onednn right after `node`'s builder: the fault steps when
// the hooks name `node`, then (capture) a copy step per float32 output, whose
// destination is appended to `captures`.
void add_debug_steps(Compiler& c, const Node& node, const DebugHooks& hooks,
                     std::vector<std::pair<std::string, const Tensor*>>& captures);

} // namespace tilescope::engine::onednn
