#include "http/dispatcher.h"

#include "http/api_error.h"
#include "http/byte_range.h"
#include "http/request_target.h"

#include <spdlog/spdlog.h>

namespace tilescope::server {
namespace {

std::string methods_text(const std::vector<http::verb>& methods) {
  std::string text;
  for (http::verb method : methods) {
    if (!text.empty()) text += ", ";
    text += std::string(http::to_string(method));
  }
  return text;
}

bool is_protected(const RequestTarget& target) {
  if (target.segments.empty()) return false;
  return target.segments.front() == "api" ||
         (target.segments.size() == 1 && target.segments.front() == "metrics");
}

} // namespace

Dispatcher::Dispatcher(Router router, Auth& auth, StaticFiles statics, std::set<std::string> public_paths,
                       ExceptionMapper map_exception)
    : router_(std::move(router)), auth_(auth), statics_(std::move(statics)),
      public_paths_(std::move(public_paths)), map_exception_(std::move(map_exception)) {}

bool Dispatcher::authorized(const Request& request) const {
  const auto target = parse_target(view(request.target()));
  if (!target) return false;
  try {
    const QueryParams query = QueryParams::parse(target->raw_query);
    if (!is_protected(*target) || public_paths_.count(target->raw_path)) return true;
    return auth_.authorized(request, query);
  } catch (const ApiError&) {
    return false;
  }
}

Response Dispatcher::handle(const Request& request, std::string* route, std::string_view client) const {
  std::string matched;
  Response response;
  try {
    response = dispatch(request, matched, client);
    apply_range(request, response);
  } catch (const ApiError& error) {
    response = error_response(error);
  } catch (const std::exception& error) {
    std::optional<Response> mapped = map_exception_ ? map_exception_(error) : std::nullopt;
    if (mapped) {
      response = std::move(*mapped);
    } else {
      spdlog::warn("http: {} {} failed: {}", std::string(request.method_string()),
                   matched.empty() ? "(no route)" : matched, error.what());
      response = internal_error_response();
    }
  } catch (...) {
    spdlog::warn("http: {} {} failed with a non-standard exception", std::string(request.method_string()),
                 matched);
    response = internal_error_response();
  }
  if (route) *route = std::move(matched);
  return response;
}

Response Dispatcher::dispatch(const Request& request, std::string& route, std::string_view client) const {
  const auto target = parse_target(view(request.target()));
  if (!target)
    throw ApiError::bad_request("request target: expected an absolute path such as /api/v1/cameras",
                                "target");
  const http::verb method = request.method();
  const bool read_only = method == http::verb::get || method == http::verb::head;
  const auto& segments = target->segments;

  // Static UI: public, read-only.
  if (segments.empty() || (segments.front() == "static" && segments.size() > 1) ||
      (segments.size() == 1 && segments.front() == "index.html")) {
    route = "static";
    if (!read_only) {
      Response response = error_response(ApiError(http::status::method_not_allowed, "method_not_allowed",
                                                  "static files: only GET and HEAD"));
      response.headers.emplace_back("Allow", "GET, HEAD");
      return response;
    }
    if (segments.empty() || segments.front() == "index.html") return statics_.index();
    return statics_.file(std::vector<std::string>(segments.begin() + 1, segments.end()));
  }

  RequestContext context{request, {}, QueryParams::parse(target->raw_query), std::string(client)};
  if (is_protected(*target) && !public_paths_.count(target->raw_path) &&
      !auth_.authorized(request, context.query)) {
    route = "(unauthorized)";
    throw ApiError::unauthorized("authentication required: send 'Authorization: Bearer <token>' or log in");
  }

  Router::Match match = router_.match(method, segments);
  switch (match.kind) {
  case Router::MatchKind::kNotFound:
    throw ApiError::not_found("no such route: " + std::string(request.method_string()) + " " +
                              target->raw_path.substr(0, 200));
  case Router::MatchKind::kMethodNotAllowed: {
    const std::string allowed = methods_text(match.allowed);
    Response response = error_response(
        ApiError(http::status::method_not_allowed, "method_not_allowed",
                 std::string(request.method_string()) + " is not allowed here (allowed: " + allowed + ")"));
    response.headers.emplace_back("Allow", allowed);
    return response;
  }
  case Router::MatchKind::kFound: break;
  }
  route = match.pattern;
  context.path_params = std::move(match.path_params);
  return (*match.handler)(context);
}

} // namespace tilescope::server
