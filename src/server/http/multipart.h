// The one part of a multipart/form-data body a route wants (RFC 7578): the browser's
// way to upload a file (`<input type=file name=image>`).
//
//   auto part = find_form_part(body, content_type, "image");
//   if (part) cv::imdecode(part->data, ...);
//
// Views point into `body`: keep it alive while using them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tilescope::server {

struct FormPart {
  std::string name;
  std::string filename; // "" when the part is not a file
  std::string content_type;
  std::string_view data;
};

// true when the Content-Type is multipart/form-data.
bool is_multipart_form(std::string_view content_type);

// The part named `field`; nullopt when there is none. Throws ApiError 400 (field
// "body") when the body is not well-formed multipart for the boundary in `content_type`.
std::optional<FormPart> find_form_part(std::string_view body, std::string_view content_type,
                                       std::string_view field);

} // namespace tilescope::server
