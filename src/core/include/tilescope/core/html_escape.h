// Text into HTML: the five characters with a meaning in markup (& < > " ') become
// entities, so names and messages are safe in element text and quoted attributes.
// Shared by the HTML reports (eval, verify) and the alert e-mails.
#pragma once

#include <string>
#include <string_view>

namespace tilescope {

inline std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default: out += c;
    }
  }
  return out;
}

} // namespace tilescope
