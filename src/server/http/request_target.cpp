#include "http/request_target.h"

namespace tilescope::server {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

} // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return std::nullopt;
      out.push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<RequestTarget> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  RequestTarget result;
  const auto fragment = target.find('#'); // never sent by browsers; ignore it if a client does
  if (fragment != std::string_view::npos) target = target.substr(0, fragment);
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  if (question != std::string_view::npos) result.raw_query = std::string(target.substr(question + 1));
  result.raw_path = std::string(path);
  std::size_t begin = 1;
  while (true) {
    const auto slash = path.find('/', begin);
    const std::string_view raw_segment =
        path.substr(begin, slash == std::string_view::npos ? slash : slash - begin);
    auto decoded = percent_decode(raw_segment, false);
    if (!decoded) return std::nullopt;
    result.segments.push_back(std::move(*decoded));
    if (slash == std::string_view::npos) break;
    begin = slash + 1;
  }
  // "/" is the root: no segments rather than one empty one.
  if (result.segments.size() == 1 && result.segments.front().empty()) result.segments.clear();
  return result;
}

} // namespace tilescope::server
