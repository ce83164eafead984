// The alerts part of the HTTP API, as a function from request to response so the
// server mounts it in a few lines and tests call it without a socket:
//
//   alerts::AlertsApi api(*alert_service);
//   // for every request under /api/v1/alerts:
//   alerts::ApiResponse r = api.handle(method, path_after_prefix, query_string, body);
//   reply(r.status, r.body.is_null() ? "" : r.body.dump());   // 204 has no body
//
// Routes (paths after /api/v1/alerts; names and ids percent-decoded):
//   GET    ""                              {"counts": {pending, sent, failed}, "rules": N, "sinks": N,
//   "rules_origin"} GET    /rules                          {"rules": [Rule...], "origin": "config" | "api"}
//   PUT    /rules                          body {"rules": [Rule...]} (or the bare array) -> the same as GET
//   GET    /rules/{name}                   Rule
//   PUT    /rules/{name}                   body Rule ("name" may be left out) -> 200 replaced | 201 added
//   DELETE /rules/{name}                   204
//   GET    /sinks                          {"sinks": [Sink...]}: options with secrets as "***", "status"
//   GET    /sinks/{name}                   Sink
//   POST   /sinks/{name}/test              {"ok", "error", "delivery_id", "elapsed_ms"} (200 either way)
//   GET    /deliveries?state=&camera=&sink=&rule=&event=&limit=50&offset=0
//                                          {"deliveries": [Delivery...], "total", "limit", "offset",
//                                          "counts"}
//   GET    /deliveries/{id}                Delivery
//   POST   /deliveries/{id}/retry          202 Delivery (a failed one, queued again); 409 when not failed
// Errors: {"error": {"code", "message", "field", "issues": [{"path", "message"}]}} with
// 400 (naming the field: "rules[1].cooldown_per_track_s"), 404, 405, 409.
// Rule JSON is rule_to_json's; Delivery JSON is delivery_to_json's.
#pragma once

#include "tilescope/alerts/alert_service.h"

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace tilescope::alerts {

struct ApiResponse {
  int status = 200;
  nlohmann::json body; // null for 204
};

class AlertsApi {
public:
  explicit AlertsApi(AlertService& service) : service_(service) {}
  // Never throws: unexpected failures are 500 with the message.
  ApiResponse handle(const std::string& method, const std::string& path, const std::string& query,
                     const std::string& body) const;

private:
  AlertService& service_;
  mutable std::mutex edit_mutex_; // rule edits: one read-modify-write at a time
};

} // namespace tilescope::alerts
