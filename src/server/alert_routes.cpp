// /api/v1/alerts/...: rules, sinks and deliveries of the alerts module (issue #6),
// mounted from alerts::AlertsApi, which takes the raw path after the prefix, the query
// string and the body, and answers with a status and JSON in the API's error shape.
#include "api.h"
#include "http/api_error.h"
#include "tilescope/alerts/alerts_api.h"

#include <string>

namespace tilescope::server {
namespace {

constexpr std::string_view kPrefix = "/api/v1/alerts";

Response handle_alerts(ApiContext& context, RequestContext& request) {
  if (context.alerts == nullptr) throw ApiError::not_found("alerts are not configured");
  const auto raw_target = request.request.target();
  const std::string_view target(raw_target.data(), raw_target.size());
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string rest(path.substr(std::min(path.size(), kPrefix.size())));
  const std::string query(question == std::string_view::npos ? std::string_view()
                                                             : target.substr(question + 1));
  const alerts::AlertsApi api(*context.alerts);
  const alerts::ApiResponse answer =
      api.handle(std::string(http::to_string(request.request.method())), rest, query, request.request.body());
  const auto status = static_cast<http::status>(answer.status);
  if (answer.body.is_null()) return Response::no_content(status);
  return Response::json(answer.body, status);
}

} // namespace

void add_alert_routes(Router& router, ApiContext& context) {
  // Up to three segments after the prefix (/sinks/{name}/test, /deliveries/{id}/retry);
  // AlertsApi answers 404 / 405 for what it does not have.
  const char* patterns[] = {"/api/v1/alerts", "/api/v1/alerts/{a}", "/api/v1/alerts/{a}/{b}",
                            "/api/v1/alerts/{a}/{b}/{c}"};
  for (const char* pattern : patterns) {
    for (http::verb verb : {http::verb::get, http::verb::put, http::verb::post, http::verb::delete_}) {
      router.add(verb, pattern,
                 [&context](RequestContext& request) { return handle_alerts(context, request); });
    }
  }
}

} // namespace tilescope::server
