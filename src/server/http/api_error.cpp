#include "http/api_error.h"

namespace tilescope::server {

ApiError::ApiError(http::status status, std::string code, const std::string& message, std::string field,
                   std::vector<ErrorIssue> issues)
    : Error(message), status_(status), code_(std::move(code)), field_(std::move(field)),
      issues_(std::move(issues)) {}

ApiError ApiError::bad_request(const std::string& message, std::string field) {
  return ApiError(http::status::bad_request, "bad_request", message, std::move(field));
}
ApiError ApiError::not_found(const std::string& message) {
  return ApiError(http::status::not_found, "not_found", message);
}
ApiError ApiError::conflict(const std::string& message, std::string field) {
  return ApiError(http::status::conflict, "conflict", message, std::move(field));
}
ApiError ApiError::unauthorized(const std::string& message) {
  return ApiError(http::status::unauthorized, "unauthorized", message);
}
ApiError ApiError::too_large(const std::string& message) {
  return ApiError(http::status::payload_too_large, "too_large", message);
}
ApiError ApiError::invalid(std::vector<ErrorIssue> issues) {
  std::string message;
  for (const ErrorIssue& issue : issues) {
    if (!message.empty()) message += "; ";
    message += issue.path.empty() ? issue.message : issue.path + ": " + issue.message;
  }
  if (message.empty()) message = "invalid request body";
  std::string field = issues.empty() ? std::string() : issues.front().path;
  return ApiError(http::status::bad_request, "bad_request", message, std::move(field), std::move(issues));
}

nlohmann::json error_body(const ApiError& error) {
  nlohmann::json inner = {{"code", error.code()}, {"message", error.what()}};
  if (!error.field().empty()) inner["field"] = error.field();
  if (!error.issues().empty()) {
    nlohmann::json issues = nlohmann::json::array();
    for (const ErrorIssue& issue : error.issues())
      issues.push_back({{"path", issue.path}, {"message", issue.message}});
    inner["issues"] = std::move(issues);
  }
  return {{"error", std::move(inner)}};
}

Response error_response(const ApiError& error) {
  Response response = Response::json(error_body(error), error.status());
  if (error.status() == http::status::unauthorized)
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tilescope\"");
  return response;
}

Response internal_error_response() {
  return error_response(ApiError(http::status::internal_server_error, "internal",
                                 "internal error (details in the server log)"));
}

} // namespace tilescope::server
