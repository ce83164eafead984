#include "request_body.h"

#include "http/api_error.h"
#include "http/multipart.h"

namespace tilescope::server {

nlohmann::json json_body(const Request& request) {
  if (request.body().empty())
    throw ApiError::bad_request("body: expected a JSON object, got an empty body", "body");
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(request.body());
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 5: ...": keep the part
    // after the id.
    std::string what = e.what();
    const auto bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    throw ApiError::bad_request("body: malformed JSON (" + what + ")", "body");
  }
  if (!body.is_object()) {
    throw ApiError::bad_request(std::string("body: expected a JSON object, got ") + body.type_name(), "body");
  }
  return body;
}

Upload upload_body(const Request& request, std::initializer_list<std::string_view> fields) {
  const auto content_type = request.find(http::field::content_type);
  if (content_type != request.end() && is_multipart_form(view(content_type->value()))) {
    for (std::string_view field : fields) {
      auto part = find_form_part(request.body(), view(content_type->value()), field);
      if (!part) continue;
      if (part->data.empty())
        throw ApiError::bad_request(std::string(field) + ": the uploaded file is empty", std::string(field));
      return {part->data, part->filename};
    }
    std::string names;
    for (std::string_view field : fields)
      names += (names.empty() ? "'" : " or '") + std::string(field) + "'";
    throw ApiError::bad_request("body: the multipart form has no field " + names,
                                std::string(*fields.begin()));
  }
  if (request.body().empty()) {
    throw ApiError::bad_request("body: empty; send the file's bytes, or a multipart form", "body");
  }
  return {request.body(), ""};
}

} // namespace tilescope::server
