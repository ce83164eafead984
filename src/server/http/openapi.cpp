#include "http/openapi.h"

#include "http/embedded_file.h"

namespace tilescope::server {

std::string_view openapi_document() {
  const auto files = openapi_files();
  return files.empty() ? std::string_view("{}") : files.front().bytes();
}

} // namespace tilescope::server
