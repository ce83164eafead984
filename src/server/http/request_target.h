// The request target of an HTTP request ("/api/v1/events?camera=2&limit=10"), split
// and percent-decoded with no surprises: the path is cut into segments *before*
// decoding, so an encoded slash ("%2F") or dot-dot ("%2e%2e") stays inside one
// segment and is rejected or matched literally, never walked.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tilescope::server {

// Percent-decodes `text`; with `plus_is_space` ('application/x-www-form-urlencoded'
// query strings) '+' becomes ' '. nullopt on a malformed escape ("%4", "%zz") or a
// decoded NUL byte.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

struct RequestTarget {
  std::string raw_path;              // as sent, without the query ("/api/v1/cameras/3")
  std::string raw_query;             // after '?', undecoded; "" when none
  std::vector<std::string> segments; // decoded path segments ("api", "v1", "cameras", "3")
};

// Splits an origin-form target ("/path?query"). nullopt when the target is not
// origin-form (absolute URLs, "*", empty) or a segment does not decode. A trailing
// slash gives a last empty segment ("/api/v1/cameras/" -> [..., "cameras", ""]), so
// it does not silently match the route without it.
std::optional<RequestTarget> parse_target(std::string_view target);

} // namespace tilescope::server
