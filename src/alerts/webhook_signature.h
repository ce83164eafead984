// X-Tilescope-Signature: "sha256=" + lower-case hex HMAC-SHA256 of the exact request
// body bytes, keyed with the sink's shared secret (the scheme GitHub webhooks use, so
// receivers have code for it already).
#pragma once

#include <string>
#include <string_view>

namespace tilescope::alerts {

std::string hmac_sha256_hex(std::string_view key, std::string_view message);
inline std::string webhook_signature(std::string_view secret, std::string_view body) {
  return "sha256=" + hmac_sha256_hex(secret, body);
}

} // namespace tilescope::alerts
