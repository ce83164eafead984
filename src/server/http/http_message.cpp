#include "http/http_message.h"

namespace tilescope::server {

Response Response::json(const nlohmann::json& value, http::status status) {
  Response response;
  response.status = status;
  // Replace invalid UTF-8 (a file name, a camera's error text) instead of throwing.
  response.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response Response::bytes(std::string body, std::string content_type, http::status status) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = std::move(content_type);
  return response;
}

Response Response::file(std::string path, std::string content_type) {
  Response response;
  response.file_path = std::move(path);
  response.content_type = std::move(content_type);
  return response;
}

Response Response::no_content(http::status status) {
  Response response;
  response.status = status;
  response.content_type.clear();
  return response;
}

} // namespace tilescope::server
