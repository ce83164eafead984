// The API's routes over pipeline::System, one file per family:
//   camera_routes.cpp   /api/v1/cameras...
//   event_routes.cpp    /api/v1/events...
//   detect_routes.cpp   /api/v1/detect, /api/v1/jobs...
//   system_routes.cpp   /healthz, /metrics, /api/v1/{system,classes,openapi.json,auth,login,logout,ws}
// make_api() puts them in one Dispatcher with the module errors mapped to the API's
// (config::ConfigError -> 400 with issues, store::ConflictError -> 409).
#pragma once

#include "http/auth.h"
#include "http/dispatcher.h"
#include "http/router.h"
#include "http/server_metrics.h"
#include "http/static_files.h"
#include "tilescope/config/config.h"
#include "tilescope/pipeline/system.h"

#include <chrono>
#include <memory>

namespace tilescope::alerts {
class AlertService;
}

namespace tilescope::server {

// What the routes share; outlives the dispatcher.
struct ApiContext {
  pipeline::System& system;
  config::ServerConfig config;
  Auth& auth;
  ServerMetrics& metrics;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  alerts::AlertService* alerts = nullptr; // /api/v1/alerts; nullptr: not mounted
};

// A route handler bound to the context: router.add(verb, pattern, bind_route(context, list)).
inline Router::Handler bind_route(ApiContext& context, Response (*handler)(ApiContext&, RequestContext&)) {
  return [&context, handler](RequestContext& request) { return handler(context, request); };
}

void add_camera_routes(Router& router, ApiContext& context);
void add_event_routes(Router& router, ApiContext& context);
void add_detect_routes(Router& router, ApiContext& context);
void add_system_routes(Router& router, ApiContext& context);
void add_alert_routes(Router& router, ApiContext& context); // alert_routes.cpp

inline constexpr const char* kWebSocketPath = "/api/v1/ws";

std::unique_ptr<Dispatcher> make_api(ApiContext& context, StaticFiles statics);

} // namespace tilescope::server
