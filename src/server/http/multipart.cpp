#include "http/multipart.h"

#include "http/api_error.h"
#include "http/header_text.h"

#include <algorithm>
#include <cctype>

namespace tilescope::server {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The value of `key` in a header's parameters ("form-data; name=\"image\"; filename=\"a.jpg\"").
std::optional<std::string> header_param(std::string_view header, std::string_view key) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    const auto semicolon = header.find(';', pos);
    if (semicolon == std::string_view::npos) return std::nullopt;
    pos = semicolon + 1;
    std::string_view rest = trim_ows(header.substr(pos));
    const auto equals = rest.find('=');
    if (equals == std::string_view::npos) continue;
    if (lower(trim_ows(rest.substr(0, equals))) != key) continue;
    std::string_view value = rest.substr(equals + 1);
    if (!value.empty() && value.front() == '"') {
      const auto close = value.find('"', 1);
      if (close == std::string_view::npos) return std::nullopt;
      return std::string(value.substr(1, close - 1));
    }
    return std::string(trim_ows(value.substr(0, value.find(';'))));
  }
  return std::nullopt;
}

[[noreturn]] void malformed(const std::string& why) {
  throw ApiError::bad_request("body: malformed multipart/form-data (" + why + ")", "body");
}

} // namespace

bool is_multipart_form(std::string_view content_type) {
  return lower(trim_ows(content_type.substr(0, content_type.find(';')))) == "multipart/form-data";
}

std::optional<FormPart> find_form_part(std::string_view body, std::string_view content_type,
                                       std::string_view field) {
  const auto boundary = header_param(content_type, "boundary");
  // RFC 2046: 1 to 70 characters.
  if (!boundary || boundary->empty() || boundary->size() > 70)
    malformed("no usable boundary in Content-Type");
  const std::string delimiter = "--" + *boundary;
  auto pos = body.find(delimiter);
  if (pos == std::string_view::npos) malformed("boundary not found");
  const std::string next_delimiter = "\r\n" + delimiter;
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return std::nullopt; // closing delimiter: no such field
    if (body.substr(pos, 2) != "\r\n") malformed("expected CRLF after a boundary");
    pos += 2;
    const auto headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) malformed("part headers not terminated");
    FormPart part;
    std::string_view headers = body.substr(pos, headers_end - pos);
    while (!headers.empty()) {
      const auto eol = headers.find("\r\n");
      const std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) malformed("part header without ':'");
      const std::string name = lower(trim_ows(line.substr(0, colon)));
      const std::string_view value = trim_ows(line.substr(colon + 1));
      if (name == "content-disposition") {
        part.name = header_param(value, "name").value_or("");
        part.filename = header_param(value, "filename").value_or("");
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    const auto data_begin = headers_end + 4;
    const auto data_end = body.find(next_delimiter, data_begin);
    if (data_end == std::string_view::npos) malformed("part not terminated by the boundary");
    if (part.name == field) {
      part.data = body.substr(data_begin, data_end - data_begin);
      return part;
    }
    pos = data_end + 2; // at the next "--boundary"
  }
}

} // namespace tilescope::server
