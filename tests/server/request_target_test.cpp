// Request targets and query parameters: splitting, decoding, validation messages.
#include "http/api_error.h"
#include "http/query_params.h"
#include "http/request_target.h"

#include <gtest/gtest.h>

namespace tilescope::server {
namespace {

using Segments = std::vector<std::string>;

TEST(RequestTarget, SplitsAndDecodesSegments) {
  auto t = parse_target("/api/v1/cameras/3?limit=5&x=%41");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->segments, (Segments{"api", "v1", "cameras", "3"}));
  EXPECT_EQ(t->raw_path, "/api/v1/cameras/3");
  EXPECT_EQ(t->raw_query, "limit=5&x=%41");
  EXPECT_EQ(parse_target("/")->segments, Segments{});
  EXPECT_EQ(parse_target("/static/app.js")->segments, (Segments{"static", "app.js"}));
  // A trailing slash is one more (empty) segment, so it does not match the route without it.
  EXPECT_EQ(parse_target("/api/v1/cameras/")->segments, (Segments{"api", "v1", "cameras", ""}));
}

TEST(RequestTarget, EncodedSlashesAndDotsStayInOneSegment) {
  // Decoding after splitting: "%2F" cannot create a new path level, "%2e%2e" is a literal "..".
  EXPECT_EQ(parse_target("/static/a%2Fb")->segments, (Segments{"static", "a/b"}));
  EXPECT_EQ(parse_target("/static/%2e%2e/%2E%2E/etc/passwd")->segments,
            (Segments{"static", "..", "..", "etc", "passwd"}));
  EXPECT_EQ(parse_target("/static/%252e%252e")->segments, (Segments{"static", "%2e%2e"}));
}

TEST(RequestTarget, RejectsWhatIsNotOriginForm) {
  for (const char* target : {"", "*", "http://example.com/", "api/v1", "/a%zz", "/a%4", "/a%00b"}) {
    EXPECT_FALSE(parse_target(target)) << target;
  }
}

TEST(PercentDecode, PlusIsSpaceOnlyInQueries) {
  EXPECT_EQ(*percent_decode("a+b%20c", true), "a b c");
  EXPECT_EQ(*percent_decode("a+b", false), "a+b");
  EXPECT_FALSE(percent_decode("%", false));
  EXPECT_FALSE(percent_decode("%%41", false));
}

// The 400 a bad parameter gives: the message and the field both name it.
template <typename F> ApiError error_of(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no ApiError thrown";
  return ApiError::bad_request("none");
}

TEST(QueryParams, TypedGettersValidateAndNameTheParameter) {
  const QueryParams q = QueryParams::parse("limit=20&conf=0.5&open=true&classes=person,%20car,,&empty=&t=x");
  EXPECT_EQ(*q.get_int("limit", 1, 500), 20);
  EXPECT_DOUBLE_EQ(*q.get_double("conf", 0, 1), 0.5);
  EXPECT_EQ(*q.get_bool("open"), true);
  EXPECT_EQ(q.get_list("classes"), (Segments{"person", "car"}));
  EXPECT_FALSE(q.has("empty")); // an empty form field is "not given"
  EXPECT_FALSE(q.get_int("offset", 0, 10));

  const QueryParams bad = QueryParams::parse("limit=abc&offset=-1&conf=1.5&open=maybe&from=1e3&to=12x");
  struct Case {
    std::function<void()> call;
    std::string field;
    std::string message_part;
  };
  const Case cases[] = {
      {[&] { bad.get_int("limit", 1, 500); }, "limit", "limit: expected an integer in [1, 500], got 'abc'"},
      {[&] { bad.get_int("offset", 0, 1000); }, "offset", "got '-1'"},
      {[&] { bad.get_double("conf", 0, 1); }, "conf", "conf: expected a number in [0, 1], got '1.5'"},
      {[&] { bad.get_bool("open"); }, "open", "open: expected true or false"},
      {[&] { bad.get_int("from", 0, 1LL << 50); }, "from", "from: expected an integer"},
      {[&] { bad.get_int("to", 0, 1LL << 50); }, "to", "got '12x'"},
  };
  for (const Case& c : cases) {
    const ApiError e = error_of(c.call);
    EXPECT_EQ(e.status(), http::status::bad_request) << c.field;
    EXPECT_EQ(e.field(), c.field);
    EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << e.what();
  }
}

TEST(QueryParams, RepeatsMalformedEscapesAndUnknownNamesAreErrors) {
  EXPECT_EQ(error_of([] { QueryParams::parse("limit=1&limit=2"); }).field(), "limit");
  EXPECT_EQ(error_of([] { QueryParams::parse("label=%zz"); }).field(), "label");
  const QueryParams q = QueryParams::parse("limt=5&token=abc");
  const ApiError e = error_of([&] { q.allow_only({"limit", "offset"}); });
  EXPECT_EQ(e.field(), "limt");
  EXPECT_NE(std::string(e.what()).find("expected one of: limit, offset"), std::string::npos);
  EXPECT_NO_THROW(QueryParams::parse("token=abc&limit=1").allow_only({"limit"})); // token: always allowed
}

} // namespace
} // namespace tilescope::server
