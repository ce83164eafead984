// Method + path pattern -> handler.
//
//   router.add(http::verb::get, "/api/v1/cameras/{id}", [&](RequestContext& c) {
//     return Response::json(camera_json(c.path_int("id")));
//   });
//
// Patterns are '/'-separated; a segment "{name}" matches any one decoded segment.
// When several patterns match a path, the one with the most literal segments wins
// ("/cameras/test" over "/cameras/{id}"). A path that matches with another method
// gives kMethodNotAllowed and the methods that would do (for the Allow header).
#pragma once

#include "http/http_message.h"
#include "http/query_params.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tilescope::server {

struct RequestContext {
  const Request& request;
  std::map<std::string, std::string, std::less<>> path_params;
  QueryParams query;
  std::string client; // the peer's address (login_limiter.h's client_key); "" when unknown

  // A path parameter as an integer id >= 1; throws ApiError 400 naming it.
  std::int64_t path_id(std::string_view name) const;
  const std::string& path_param(std::string_view name) const;
};

class Router {
public:
  using Handler = std::function<Response(RequestContext&)>;

  // Throws Error for a malformed pattern or a duplicate (method, pattern): programmer errors.
  void add(http::verb method, const std::string& pattern, Handler handler);

  enum class MatchKind { kFound, kMethodNotAllowed, kNotFound };
  struct Match {
    MatchKind kind = MatchKind::kNotFound;
    const Handler* handler = nullptr;
    std::map<std::string, std::string, std::less<>> path_params;
    std::vector<http::verb> allowed; // kMethodNotAllowed
    std::string pattern;             // kFound: the route's pattern (for logs and metrics)
  };
  // HEAD falls back to a GET route (the session then sends headers only).
  Match match(http::verb method, const std::vector<std::string>& segments) const;

  struct RouteInfo {
    http::verb method;
    std::string pattern;
  };
  std::vector<RouteInfo> routes() const; // in the order added

private:
  struct Route {
    http::verb method;
    std::string pattern;
    std::vector<std::string> segments; // "{name}" for a parameter
    int literal_count = 0;
    Handler handler;
  };
  std::vector<Route> routes_;
};

} // namespace tilescope::server
