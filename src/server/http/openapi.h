// The OpenAPI 3.0 document of the API (src/server/openapi.json, embedded at build time).
#pragma once

#include <string_view>

namespace tilescope::server {

std::string_view openapi_document();

} // namespace tilescope::server
