// The one error shape of the API (docs: serve_api.md, openapi.json `Error`):
//
//   {"error": {"code": "bad_request", "message": "limit: expected an integer in [1, 500], got 'x'",
//              "field": "limit", "issues": [{"path": "url", "message": "..."}]}}
//
// Handlers throw ApiError; the dispatcher catches it (and the module errors it maps:
// config::ConfigError -> 400 with issues, store::ConflictError -> 409) and answers with
// error_response(). Codes: bad_request, unauthorized, not_found, method_not_allowed,
// conflict, too_large, too_many_requests (login limit), range_not_satisfiable, internal.
#pragma once

#include "http/http_message.h"
#include "tilescope/core/error.h"

#include <string>
#include <vector>

namespace tilescope::server {

struct ErrorIssue {
  std::string path; // relative to the body ("url", "zones[0].points")
  std::string message;
};

class ApiError : public Error {
public:
  ApiError(http::status status, std::string code, const std::string& message, std::string field = {},
           std::vector<ErrorIssue> issues = {});

  http::status status() const { return status_; }
  const std::string& code() const { return code_; }
  const std::string& field() const { return field_; }
  const std::vector<ErrorIssue>& issues() const { return issues_; }

  // 400; `field` names the parameter or body field at fault ("" for none).
  static ApiError bad_request(const std::string& message, std::string field = {});
  static ApiError not_found(const std::string& message);
  static ApiError conflict(const std::string& message, std::string field = {});
  static ApiError unauthorized(const std::string& message = "authentication required");
  static ApiError too_large(const std::string& message);
  // 400 with every issue listed; field = the first issue's path.
  static ApiError invalid(std::vector<ErrorIssue> issues);

private:
  http::status status_;
  std::string code_;
  std::string field_;
  std::vector<ErrorIssue> issues_;
};

nlohmann::json error_body(const ApiError& error);
Response error_response(const ApiError& error);
// 500 without internals in the body: details go to the log, not to the client.
Response internal_error_response();

} // namespace tilescope::server
