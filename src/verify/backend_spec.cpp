#include "tilescope/verify/backend_spec.h"

#include "tilescope/core/error.h"

namespace tilescope::verify {
namespace {

constexpr const char* kAccepted = "reference, onednn, onednn:fp32, onednn:bf16, onednn:int8";

} // namespace

std::string_view precision_name(Precision precision) {
  switch (precision) {
  case Precision::kFp32: return "fp32";
  case Precision::kBf16: return "bf16";
  case Precision::kInt8: return "int8";
  }
  return "fp32";
}

std::optional<Precision> parse_precision(std::string_view name) {
  for (Precision p : {Precision::kFp32, Precision::kBf16, Precision::kInt8}) {
    if (name == precision_name(p)) return p;
  }
  return std::nullopt;
}

std::string BackendSpec::str() const {
  if (backend == engine::Backend::kReference) return "reference";
  return std::string(engine::backend_name(backend)) + ":" + std::string(precision_name(precision));
}

BackendSpec parse_backend_spec(std::string_view text) {
  const std::size_t colon = text.find(':');
  const std::string_view backend_text = text.substr(0, colon);
  const std::optional<engine::Backend> backend = engine::parse_backend(backend_text);
  if (!backend) {
    throw Error("'" + std::string(text) + "': unknown backend '" + std::string(backend_text) +
                "' (expected one of: " + kAccepted + ")");
  }
  BackendSpec spec{*backend, Precision::kFp32};
  if (colon == std::string_view::npos) return spec;
  const std::string_view precision_text = text.substr(colon + 1);
  const std::optional<Precision> precision = parse_precision(precision_text);
  if (!precision) {
    throw Error("'" + std::string(text) + "': unknown precision '" + std::string(precision_text) +
                "' (expected fp32, bf16 or int8)");
  }
  if (*backend == engine::Backend::kReference && *precision != Precision::kFp32) {
    throw Error("'" + std::string(text) +
                "': the reference backend runs fp32 only (it is the specification the others are "
                "checked against)");
  }
  spec.precision = *precision;
  return spec;
}

engine::SessionOptions session_options_for(const BackendSpec& spec, int threads) {
  if (spec.precision != Precision::kFp32) {
    // TODO(#7): bf16 and int8 inference in the onednn backend (the second part).
    throw Error(spec.str() + ": " + std::string(precision_name(spec.precision)) +
                " inference is not supported yet (issue #7); only fp32 runs");
  }
  engine::SessionOptions options;
  options.backend = spec.backend;
  options.threads = threads;
  options.fuse = spec.backend != engine::Backend::kReference;
  options.capture_values = true;
  return options;
}

} // namespace tilescope::verify
