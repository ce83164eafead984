// Header field values and their parts (Range, Content-Disposition, ...) come with optional
// whitespace around them: RFC 9110's OWS, spaces and horizontal tabs.
#pragma once

#include <string_view>

namespace tilescope::server {

inline std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

} // namespace tilescope::server
