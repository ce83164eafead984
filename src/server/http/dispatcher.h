// From a parsed request to a Response, with no socket: the target is split and
// decoded, the query parsed, static files served, auth enforced, the route found and
// run, and every failure turned into the API's error JSON.
//
//   GET /, /static/...      static UI (public: the login page must load)
//   /api/..., /metrics      need a valid token when auth is on, except `public_paths`
//   anything else           a route or 404
//
// A file response then gets range support (byte_range.h: 206, 416, Accept-Ranges).
//
// Exceptions from a handler: ApiError -> its status; any other std::exception goes to
// `map_exception` (the API maps its modules' errors there), else 500.
#pragma once

#include "http/auth.h"
#include "http/http_message.h"
#include "http/router.h"
#include "http/static_files.h"

#include <exception>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace tilescope::server {

class Dispatcher {
public:
  using ExceptionMapper = std::function<std::optional<Response>(const std::exception&)>;

  Dispatcher(Router router, Auth& auth, StaticFiles statics, std::set<std::string> public_paths,
             ExceptionMapper map_exception = {});

  // `route` receives the matched pattern ("/api/v1/cameras/{id}", "static", "" when
  // none) for logs: a pattern never holds ids, tokens or file names. `client` is the
  // peer's address key (RequestContext::client). File responses get range support
  // (byte_range.h) here.
  Response handle(const Request& request, std::string* route = nullptr, std::string_view client = {}) const;

  // Whether the request may use a protected path: for WebSocket upgrades, which the
  // session answers before a route runs.
  bool authorized(const Request& request) const;

  const Router& router() const { return router_; }
  const StaticFiles& statics() const { return statics_; }

private:
  Response dispatch(const Request& request, std::string& route, std::string_view client) const;

  Router router_;
  Auth& auth_;
  StaticFiles statics_;
  std::set<std::string> public_paths_;
  ExceptionMapper map_exception_;
};

} // namespace tilescope::server
