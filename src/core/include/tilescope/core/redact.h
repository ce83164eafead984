// Credentials never leave the process: URLs are shown with their password replaced.
//
//   redact_url("rtsp://admin:secret@10.0.0.5:554/live") == "rtsp://admin:***@10.0.0.5:554/live"
#pragma once

#include <string>

namespace tilescope {

// Replaces the password of a URL's user-info ("scheme://user:password@host...") with
// "***". URLs without a password (and plain paths) come back unchanged.
inline std::string redact_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const auto authority_begin = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", authority_begin);
  if (authority_end == std::string::npos) authority_end = url.size();
  const auto at = url.rfind('@', authority_end);
  if (at == std::string::npos || at < authority_begin) return url;
  const auto colon = url.find(':', authority_begin);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

} // namespace tilescope
