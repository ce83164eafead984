// Files compiled into the binary at build time (src/server/embed_files.cmake): the web
// UI under web/ and the OpenAPI document.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace tilescope::server {

struct EmbeddedFile {
  const char* path; // relative to its root, '/'-separated ("index.html", "pages/events.js")
  const unsigned char* data;
  std::size_t size;
  std::string_view bytes() const { return {reinterpret_cast<const char*>(data), size}; }
};

std::span<const EmbeddedFile> web_assets();    // web/ (empty when the UI was not there at build time)
std::span<const EmbeddedFile> openapi_files(); // src/server/openapi.json

} // namespace tilescope::server
