// The two sides of a verification: a backend and the precision it runs in,
// written "reference", "onednn" (= "onednn:fp32"), "onednn:bf16", "onednn:int8".
//
// The precision is the engine's (engine::Precision, session.h): onednn:bf16
// runs convolutions in bfloat16; onednn:int8 runs a quantized (QDQ) model and
// is refused for a float one.
#pragma once

#include "tilescope/engine/session.h"

#include <optional>
#include <string>
#include <string_view>

namespace tilescope::verify {

using Precision = engine::Precision;
using engine::parse_precision; // "fp32" | "bf16" | "int8"
using engine::precision_name;

struct BackendSpec {
  engine::Backend backend = engine::Backend::kOnednn;
  Precision precision = Precision::kFp32;

  std::string str() const; // "reference", "onednn:fp32"
  friend bool operator==(const BackendSpec&, const BackendSpec&) = default;
};

// Parses "backend[:precision]". Throws Error naming the text and the accepted
// forms for an unknown backend or precision, and for a precision the backend
// does not have (the reference backend is fp32 only: it is the specification).
BackendSpec parse_backend_spec(std::string_view text);

// Session options that run `spec` with `threads` (0: all cores). The reference
// runs unfused, so that every node of the model has an output to compare;
// onednn runs as production does (fused), in the spec's precision.
engine::SessionOptions session_options_for(const BackendSpec& spec, int threads);

} // namespace tilescope::verify
