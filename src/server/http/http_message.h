// The request and response types of the API. Handlers take a parsed Beast request and
// return a Response value: a pure function, testable without a socket; the session
// turns the Response into bytes (a string body, a file, or a takeover by a stream).
#pragma once

#include <boost/beast/http.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tilescope::server {

namespace http = boost::beast::http;

using Request = http::request<http::string_body>;

// Beast 1.74 hands out boost::string_view; the rest of the code speaks std::string_view.
inline std::string_view view(boost::beast::string_view text) { return {text.data(), text.size()}; }

// Bytes first..last of a file, both included (HTTP's Content-Range convention).
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::uint64_t length() const { return last - first + 1; }
};

// What a route answers. The session sends it: `file_path` when set (streamed from
// disk; only `file_range` of it when set, see byte_range.h), else `body`.
// `mjpeg_camera_id` >= 0 hands the connection to an MJPEG stream.
struct Response {
  http::status status = http::status::ok;
  std::string content_type = "application/json";
  std::string body;
  std::string file_path;
  std::optional<ByteRange> file_range;
  std::vector<std::pair<std::string, std::string>> headers; // extra headers (Set-Cookie, Allow, ...)

  std::int64_t mjpeg_camera_id = -1;
  bool mjpeg_annotated = true;

  static Response json(const nlohmann::json& value, http::status status = http::status::ok);
  static Response bytes(std::string body, std::string content_type, http::status status = http::status::ok);
  static Response file(std::string path, std::string content_type);
  static Response no_content(http::status status = http::status::no_content);
};

} // namespace tilescope::server
