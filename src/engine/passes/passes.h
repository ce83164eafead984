// Graph passes. Each lives in its own file; Session runs them in this order:
//   specialize_inputs -> fold_constants (includes shape inference) ->
//   fuse_conv_bn -> fuse_conv_activation -> fuse_conv_add -> fold_qdq_conv (precision
//   int8, onednn) -> eliminate_dead_nodes -> infer_shapes.
#pragma once

#include "tilescope/engine/graph.h"

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace tilescope::engine::passes {

// Gives every graph input a static shape: from `shapes` when named there, else
// the model's own dims. Throws Error naming the input and dim when a dim stays
// dynamic or a given shape contradicts a static dim / the rank.
void specialize_inputs(Graph& graph, const std::map<std::string, Shape>& shapes);

// Infers every value's static type (graph.value_types) in topological order.
// Throws Error naming the node on any inconsistency.
void infer_shapes(Graph& graph);

// Output types of one node given graph.value_types of its inputs and the
// initializers as known constants (used by infer_shapes and fold_constants).
std::vector<ValueType> infer_node(const Graph& graph, const Node& node);
// Seeds graph.value_types with the graph inputs (static shapes required) and
// the initializers.
void seed_value_types(Graph& graph);

// Shape inference plus constant folding: nodes whose inputs are all constants
// (and Shape/Size of statically shaped values) are evaluated with the reference
// kernels and replaced by initializers.
void fold_constants(Graph& graph);

// Folds BatchNormalization following a Conv into the Conv's weights and bias.
void fuse_conv_bn(Graph& graph);
// Conv followed by Relu, LeakyRelu, HardSwish, Sigmoid, Clip or SiLU (x*sigmoid(x))
// becomes tilescope.FusedConv with an activation attribute.
void fuse_conv_activation(Graph& graph);
// (Fused)Conv whose only consumer is Add(conv, other) becomes FusedConv with
// `other` as fourth input, added after the activation (oneDNN sum post-op).
void fuse_conv_add(Graph& graph);
// QuantizeLinear -> DequantizeLinear -> (Fused)Conv with symmetric int8
// weights becomes tilescope.QConv, an integer convolution (precision int8 on
// the onednn backend; fold_qdq_conv.cpp).
void fold_qdq_conv(Graph& graph);
// Removes nodes whose outputs nobody reads, and unused initializers.
void eliminate_dead_nodes(Graph& graph);

// Memory planning: assigns offsets in one arena to buffers with known lifetimes
// (first and last step that uses them, inclusive) so that buffers alive at the
// same time never overlap. Greedy by size, best fit.
struct BufferRequest {
  std::size_t bytes = 0;
  int first_step = 0;
  int last_step = 0;
};
struct MemoryPlan {
  std::vector<std::size_t> offsets; // one per request
  std::size_t arena_bytes = 0;
  std::size_t naive_bytes = 0; // sum of all buffer sizes
};
MemoryPlan plan_memory(std::span<const BufferRequest> requests, std::size_t alignment = 64);

} // namespace tilescope::engine::passes
