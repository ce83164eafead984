// multipart/form-data: the field a browser upload sends, and malformed bodies.
#include "http/api_error.h"
#include "http/multipart.h"

#include <gtest/gtest.h>

namespace tilescope::server {
namespace {

const std::string kType = "multipart/form-data; boundary=----WebKitFormBoundaryX3";

std::string body_with(const std::string& image_bytes) {
  return "------WebKitFormBoundaryX3\r\n"
         "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
         "hello\r\n"
         "------WebKitFormBoundaryX3\r\n"
         "Content-Disposition: form-data; name=\"image\"; filename=\"cat.jpg\"\r\n"
         "Content-Type: image/jpeg\r\n\r\n" +
         image_bytes +
         "\r\n"
         "------WebKitFormBoundaryX3--\r\n";
}

TEST(Multipart, FindsTheNamedPart) {
  // Bytes that look like a delimiter but are not ("--" without the boundary), and a NUL.
  static constexpr char kBytes[] = "\xff\xd8\r\n--not-a-boundary\r\n\0\xff\xd9";
  const std::string bytes(kBytes, sizeof(kBytes) - 1);
  const std::string body = body_with(bytes);
  EXPECT_TRUE(is_multipart_form(kType));
  EXPECT_TRUE(is_multipart_form("Multipart/Form-Data;boundary=a"));
  EXPECT_FALSE(is_multipart_form("image/jpeg"));
  auto part = find_form_part(body, kType, "image");
  ASSERT_TRUE(part);
  EXPECT_EQ(part->filename, "cat.jpg");
  EXPECT_EQ(part->content_type, "image/jpeg");
  EXPECT_EQ(std::string(part->data), bytes);
  EXPECT_EQ(std::string(find_form_part(body, kType, "note")->data), "hello");
  EXPECT_FALSE(find_form_part(body, kType, "video"));
  // Quoted boundary parameter.
  EXPECT_TRUE(find_form_part(body, "multipart/form-data; boundary=\"----WebKitFormBoundaryX3\"", "image"));
}

TEST(Multipart, MalformedBodiesAre400NamingTheBody) {
  const std::string good = body_with("x");
  const std::pair<std::string, std::string> cases[] = {
      {good, "multipart/form-data"}, // no boundary
      {"no boundary here", kType},   // boundary absent
      {"------WebKitFormBoundaryX3\r\nContent-Disposition: form-data; name=\"image\"\r\n",
       kType}, // no blank line
      {"------WebKitFormBoundaryX3\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc",
       kType}, // unterminated
      {"------WebKitFormBoundaryX3\r\nbad header\r\n\r\nabc\r\n------WebKitFormBoundaryX3--", kType},
  };
  for (const auto& [body, type] : cases) {
    try {
      find_form_part(body, type, "image");
      ADD_FAILURE() << "accepted: " << body;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status(), http::status::bad_request);
      EXPECT_EQ(e.field(), "body");
    }
  }
}

} // namespace
} // namespace tilescope::server
