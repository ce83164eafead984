// Which values the oneDNN backend stores in bfloat16 (Precision::kBf16).
//
// Convolutions compute in bfloat16 (bf16 weights and activations, f32
// accumulation). Their outputs stay bf16 only while every reader takes bf16
// too: another convolution, or a Concat, MaxPool/AveragePool or Resize whose
// own output stays bf16 (they move values without arithmetic worth keeping in
// f32), seen through Split/Slice views. Pooling and resize need a bf16 input;
// a Concat converts f32 inputs in the copy it makes anyway. Everything else reads float32: the
// detect head's decode (Reshape, Softmax, Sigmoid, the box arithmetic), graph
// outputs, fallback ops. So the conversions (reorders) sit only where the two
// regions meet, and the producer writes the reader's type directly when it is
// a convolution (bf16 src, f32 dst is one oneDNN kernel).
#pragma once

#include "tilescope/engine/graph.h"

#include <set>
#include <string>

namespace tilescope::engine::onednn {

// The runtime values of `graph` (static shapes, types inferred) to store in
// bf16, by the rule above: a fixpoint that starts from every candidate and
// drops values whose readers or inputs rule them out.
std::set<std::string> plan_bf16_values(const Graph& graph);

// True for the nodes that run as convolutions in bf16 mode: Conv and
// tilescope.FusedConv with constant weights, except those reading a Softmax
// (YOLOv8's DFL: the expectation over box bins is decoding, kept f32).
bool is_bf16_conv(const Graph& graph, const Node& node);

} // namespace tilescope::engine::onednn
