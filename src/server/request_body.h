// Reading request bodies: JSON documents and uploaded bytes (raw, or one field of a
// multipart form). Failures are ApiError 400 naming "body" (or the form field).
#pragma once

#include "http/http_message.h"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace tilescope::server {

// The body as a JSON object. "body: malformed JSON at byte 17: ..." otherwise.
nlohmann::json json_body(const Request& request);

struct Upload {
  std::string_view bytes; // into the request's body
  std::string filename;   // from the form part; "" for a raw body
};
// The bytes of an upload: the multipart part named one of `fields` when the body is
// multipart/form-data, else the whole body. Empty bodies are an error.
Upload upload_body(const Request& request, std::initializer_list<std::string_view> fields);

} // namespace tilescope::server
