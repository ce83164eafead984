// Which values the oneDNN backend stores as uint8 (int8 models: tilescope.QConv,
// passes/fold_qdq_conv.cpp).
//
// A QConv reads its float input x quantized, u8 = round(x / s) + zp saturated
// (the QuantizeLinear the QDQ model puts in front of it). When every reader of
// x quantizes it alike, x's producer can write those u8 values directly and no
// one needs the floats: a QConv by two eltwise post-ops after its activation
// (y / s + zp, then the u8 destination rounds and saturates), a Concat by the
// quantizing reorders it copies its inputs with anyway. MaxPool and nearest
// Resize commute with that quantization (it is monotonic and they only pick
// values), so they pass u8 through: YOLO's SPPF and upsample run on bytes.
// A value stays float32 when any reader wants floats (a residual Sum, the
// detect head's decode, a graph output, a Split/Slice view, an elementwise op)
// or when two readers quantize it differently.
#pragma once

#include "tilescope/engine/graph.h"

#include <cstdint>
#include <map>
#include <string>

namespace tilescope::engine::onednn {

// u8 = saturate(round(x / scale) + zero_point); x = scale * (u8 - zero_point).
struct Quant {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
  bool operator==(const Quant&) const = default;
};

// The quantization of x a tilescope.QConv node reads, as uint8 (an int8 x is
// the same values with the zero point moved by 128).
Quant qconv_source_quant(const Node& qconv);

// The runtime values of `graph` to store as uint8, and their quantization, by
// the rule above: a fixpoint that starts from every candidate and drops values
// whose readers disagree or want floats, or whose producer cannot write u8.
std::map<std::string, Quant> plan_u8_values(const Graph& graph);

} // namespace tilescope::engine::onednn
