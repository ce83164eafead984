// Health, metrics, system facts, class names, the OpenAPI document, and auth
// (probe, login, logout). /api/v1/ws is answered here only when a client forgets
// the upgrade: the session hands real upgrades to WebSocketSession first.
#include "api.h"
#include "http/api_error.h"
#include "http/openapi.h"
#include "request_body.h"

#include <cmath>
#include <fstream>
#include <spdlog/spdlog.h>
#include <string>

namespace tilescope::server {
namespace {

using nlohmann::json;

double uptime_s(const ApiContext& context) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - context.started).count();
}

// Resident memory of the process (VmRSS), in MiB; 0 when /proc is not there.
double memory_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

Response healthz(ApiContext& context, RequestContext&) {
  return Response::json({{"status", "ok"},
                         {"cameras", context.system.cameras().size()},
                         {"uptime_s", std::round(uptime_s(context) * 10) / 10}});
}

Response metrics(ApiContext& context, RequestContext&) {
  std::string text = context.system.metrics_text();
  if (!text.empty() && text.back() != '\n') text += '\n';
  text += context.metrics.prometheus_text();
  return Response::bytes(std::move(text), "text/plain; version=0.0.4; charset=utf-8");
}

Response system_info(ApiContext& context, RequestContext&) {
  pipeline::System& system = context.system;
  const config::Config& config = system.config();
  store::Store& store = system.store();
  store::EventFilter one;
  one.limit = 1;
  const cv::Size input = system.model_input();
  return Response::json({
      {"version", TILESCOPE_VERSION},
      {"model",
       {{"path", config.model.path.empty() ? std::string("(default: NanoDet-m)") : config.model.path},
        {"precision", config.model.precision},
        {"input", {input.width, input.height}},
        {"classes", system.class_names().size()}}},
      {"uptime_s", std::round(uptime_s(context) * 10) / 10},
      {"memory_mb", std::round(memory_mb() * 10) / 10},
      {"storage",
       {{"path", store.dir()}, {"bytes", store.storage_bytes()}, {"events", store.events(one).total}}},
      {"cameras", system.cameras().size()},
      {"auth", context.auth.required()},
  });
}

Response classes(ApiContext& context, RequestContext&) {
  return Response::json({{"classes", context.system.class_names()}});
}

Response openapi(ApiContext&, RequestContext&) {
  return Response::bytes(std::string(openapi_document()), "application/json");
}

Response auth_state(ApiContext& context, RequestContext& request) {
  const auto token = Auth::presented_token(request.request, request.query);
  const bool authenticated = !context.auth.required() || (token && context.auth.check(*token));
  return Response::json({{"required", context.auth.required()},
                         {"authenticated", authenticated},
                         {"login", context.auth.login_enabled()}});
}

Response login(ApiContext& context, RequestContext& request) {
  const json body = json_body(request.request);
  for (const char* key : {"username", "password"}) {
    if (!body.contains(key) || !body[key].is_string())
      throw ApiError::bad_request(std::string(key) + ": expected a string", key);
  }
  if (!context.auth.login_enabled())
    throw ApiError::bad_request("login is not configured on this server (use a bearer token)", "username");
  const Auth::LoginAttempt attempt = context.auth.attempt_login(
      request.client, body["username"].get<std::string>(), body["password"].get<std::string>());
  if (attempt.retry_after.count() > 0) {
    context.metrics.login_refused.fetch_add(1);
    const std::string seconds = std::to_string(attempt.retry_after.count());
    Response refused =
        error_response(ApiError(http::status::too_many_requests, "too_many_requests",
                                "too many failed logins from this address: try again in " + seconds + " s"));
    refused.headers.emplace_back("Retry-After", seconds);
    return refused;
  }
  if (!attempt.token) {
    context.metrics.login_failures.fetch_add(1);
    if (attempt.locked_now) {
      spdlog::warn("http: {} failed logins from {}: refusing its logins for {} s",
                   context.auth.login_limits().max_failures,
                   request.client.empty() ? std::string("(unknown)") : request.client,
                   context.auth.login_limits().lockout.count());
    }
    throw ApiError::unauthorized("wrong username or password");
  }
  Response response = Response::json({{"token", *attempt.token}});
  response.headers.emplace_back("Set-Cookie", Auth::session_cookie(*attempt.token));
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

Response logout(ApiContext& context, RequestContext& request) {
  if (auto token = Auth::presented_token(request.request, request.query)) context.auth.logout(*token);
  Response response = Response::no_content();
  response.headers.emplace_back("Set-Cookie", Auth::clear_cookie());
  return response;
}

Response websocket_without_upgrade(ApiContext&, RequestContext&) {
  Response response =
      error_response(ApiError(http::status::upgrade_required, "bad_request",
                              "this is a WebSocket endpoint: connect with a WebSocket client"));
  response.headers.emplace_back("Upgrade", "websocket");
  return response;
}

} // namespace

void add_system_routes(Router& router, ApiContext& context) {
  router.add(http::verb::get, "/healthz", bind_route(context, healthz));
  router.add(http::verb::get, "/metrics", bind_route(context, metrics));
  router.add(http::verb::get, "/api/v1/system", bind_route(context, system_info));
  router.add(http::verb::get, "/api/v1/classes", bind_route(context, classes));
  router.add(http::verb::get, "/api/v1/openapi.json", bind_route(context, openapi));
  router.add(http::verb::get, "/api/v1/auth", bind_route(context, auth_state));
  router.add(http::verb::post, "/api/v1/login", bind_route(context, login));
  router.add(http::verb::post, "/api/v1/logout", bind_route(context, logout));
  router.add(http::verb::get, kWebSocketPath, bind_route(context, websocket_without_upgrade));
}

} // namespace tilescope::server
