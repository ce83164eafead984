#include "api.h"

#include "http/api_error.h"
#include "tilescope/store/store.h"

#include <spdlog/spdlog.h>

namespace tilescope::server {

std::unique_ptr<Dispatcher> make_api(ApiContext& context, StaticFiles statics) {
  Router router;
  add_system_routes(router, context);
  add_camera_routes(router, context);
  add_event_routes(router, context);
  add_detect_routes(router, context);
  add_alert_routes(router, context);
  auto map_exception = [](const std::exception& error) -> std::optional<Response> {
    if (const auto* invalid = dynamic_cast<const config::ConfigError*>(&error)) {
      std::vector<ErrorIssue> issues;
      for (const config::ConfigIssue& issue : invalid->issues())
        issues.push_back({issue.path, issue.message});
      return error_response(ApiError::invalid(std::move(issues)));
    }
    if (dynamic_cast<const store::ConflictError*>(&error)) {
      return error_response(ApiError::conflict(error.what(), "name"));
    }
    return std::nullopt; // 500, logged by the dispatcher
  };
  // Login and the auth probe must work without a token; logout clears whatever it gets.
  std::set<std::string> public_paths = {"/api/v1/login", "/api/v1/auth", "/api/v1/logout"};
  return std::make_unique<Dispatcher>(std::move(router), context.auth, std::move(statics),
                                      std::move(public_paths), map_exception);
}

} // namespace tilescope::server
