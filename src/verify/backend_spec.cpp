#include "tilescope/verify/backend_spec.h"

#include "tilescope/core/error.h"

namespace tilescope::verify {
namespace {

constexpr const char* kAccepted = "reference, onednn, onednn:fp32, onednn:bf16, onednn:int8";

} // namespace

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
  engine::SessionOptions options;
  options.backend = spec.backend;
  options.precision = spec.precision;
  options.threads = threads;
  options.fuse = spec.backend != engine::Backend::kReference;
  options.capture_values = true;
  return options;
}

} // namespace tilescope::verify
