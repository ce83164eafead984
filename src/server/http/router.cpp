#include "http/router.h"

#include "http/api_error.h"

#include <algorithm>
#include <charconv>

namespace tilescope::server {
namespace {

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

std::vector<std::string> split_pattern(const std::string& pattern) {
  if (pattern.empty() || pattern.front() != '/') throw Error("route pattern must start with '/': " + pattern);
  std::vector<std::string> segments;
  std::size_t begin = 1;
  while (begin <= pattern.size()) {
    auto end = pattern.find('/', begin);
    if (end == std::string::npos) end = pattern.size();
    segments.push_back(pattern.substr(begin, end - begin));
    begin = end + 1;
  }
  if (segments.size() == 1 && segments.front().empty()) segments.clear();
  return segments;
}

} // namespace

const std::string& RequestContext::path_param(std::string_view name) const {
  const auto it = path_params.find(name);
  if (it == path_params.end()) throw Error("route has no path parameter " + std::string(name));
  return it->second;
}

std::int64_t RequestContext::path_id(std::string_view name) const {
  const std::string& text = path_param(name);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1) {
    std::string shown = text.substr(0, 40);
    throw ApiError::bad_request(std::string(name) + ": expected a positive integer id, got '" + shown + "'",
                                std::string(name));
  }
  return value;
}

void Router::add(http::verb method, const std::string& pattern, Handler handler) {
  Route route{method, pattern, split_pattern(pattern), 0, std::move(handler)};
  for (const std::string& segment : route.segments) {
    if (!is_param(segment)) ++route.literal_count;
  }
  for (const Route& existing : routes_) {
    if (existing.method == method && existing.pattern == pattern) throw Error("duplicate route " + pattern);
  }
  routes_.push_back(std::move(route));
}

Router::Match Router::match(http::verb method, const std::vector<std::string>& segments) const {
  Match best;
  int best_literals = -1;
  std::vector<http::verb> allowed;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    bool matches = true;
    for (std::size_t i = 0; i < segments.size() && matches; ++i) {
      if (is_param(route.segments[i])) {
        matches = !segments[i].empty();
      } else {
        matches = route.segments[i] == segments[i];
      }
    }
    if (!matches) continue;
    if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end())
      allowed.push_back(route.method);
    const bool method_ok =
        route.method == method || (method == http::verb::head && route.method == http::verb::get);
    if (!method_ok || route.literal_count <= best_literals) continue;
    best_literals = route.literal_count;
    best.kind = MatchKind::kFound;
    best.handler = &route.handler;
    best.pattern = route.pattern;
    best.path_params.clear();
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (is_param(route.segments[i]))
        best.path_params.emplace(route.segments[i].substr(1, route.segments[i].size() - 2), segments[i]);
    }
  }
  if (best.kind == MatchKind::kFound) return best;
  if (!allowed.empty()) {
    best.kind = MatchKind::kMethodNotAllowed;
    if (std::find(allowed.begin(), allowed.end(), http::verb::get) != allowed.end())
      allowed.push_back(http::verb::head);
    best.allowed = std::move(allowed);
  }
  return best;
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> infos;
  for (const Route& route : routes_)
    infos.push_back({route.method, route.pattern});
  return infos;
}

} // namespace tilescope::server
