// The web UI's files: embedded in the binary at build time (web/, see
// src/server/CMakeLists.txt), or read from a folder (development: edit and reload).
//
//   GET /                 -> index.html (or a small "UI not built" page when there is none)
//   GET /static/<path>    -> the file, 404 when there is no such file
//
// Paths are decoded segments (RequestTarget); a segment that is empty, "." or "..",
// starts with '.', or holds '/', '\\' or ':' never matches. From a folder, the
// resolved file must also lie inside the folder after symlinks are followed.
#pragma once

#include "http/http_message.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tilescope::server {

// The Content-Type for a file name, by extension ("application/octet-stream" otherwise).
std::string content_type_for(std::string_view path);
// A path segment that may name a file in a served folder (rules above).
bool is_safe_segment(std::string_view segment);

class StaticFiles {
public:
  static StaticFiles embedded();
  // Serves files under `root` (read at each request). Throws Error when it is not a folder.
  static StaticFiles directory(const std::string& root);

  Response index() const;
  Response file(const std::vector<std::string>& segments) const; // segments after "/static"
  bool has_ui() const;                                           // an index.html exists
  std::vector<std::string> paths() const;                        // embedded: every file

private:
  std::optional<std::string> root_;                               // directory mode
  std::map<std::string, std::string_view, std::less<>> embedded_; // path -> bytes (static storage)
};

} // namespace tilescope::server
