// Auth: where tokens come from, sessions from login, constant-time comparison.
#include "http/auth.h"
#include "http/query_params.h"

#include <gtest/gtest.h>
#include <regex>
#include <set>

namespace tilescope::server {
namespace {

Request request_with(http::field field, const std::string& value) {
  Request request;
  request.set(field, value);
  return request;
}

TEST(Auth, OffWithoutTokensOrUser) {
  Auth auth({}, "", "");
  EXPECT_FALSE(auth.required());
  EXPECT_TRUE(auth.authorized(Request{}, QueryParams{}));
}

TEST(Auth, TokenFromHeaderQueryOrCookie) {
  Auth auth({"s3cret-token"}, "", "");
  ASSERT_TRUE(auth.required());
  EXPECT_FALSE(auth.authorized(Request{}, QueryParams{}));
  EXPECT_TRUE(
      auth.authorized(request_with(http::field::authorization, "Bearer s3cret-token"), QueryParams{}));
  EXPECT_TRUE(
      auth.authorized(request_with(http::field::authorization, "bearer s3cret-token"), QueryParams{}));
  EXPECT_FALSE(
      auth.authorized(request_with(http::field::authorization, "Bearer s3cret-tokeN"), QueryParams{}));
  EXPECT_FALSE(
      auth.authorized(request_with(http::field::authorization, "Basic s3cret-token"), QueryParams{}));
  EXPECT_FALSE(auth.authorized(request_with(http::field::authorization, "Bearer "), QueryParams{}));
  EXPECT_TRUE(auth.authorized(Request{}, QueryParams::parse("token=s3cret-token")));
  EXPECT_FALSE(auth.authorized(Request{}, QueryParams::parse("token=s3cret")));
  EXPECT_TRUE(auth.authorized(request_with(http::field::cookie, "a=1; tilescope_token=s3cret-token; b=2"),
                              QueryParams{}));
  EXPECT_FALSE(
      auth.authorized(request_with(http::field::cookie, "xtilescope_token=s3cret-token"), QueryParams{}));
}

TEST(Auth, LoginHandsOutSessionTokensAndLogoutRevokes) {
  Auth auth({}, "admin", "correct horse");
  ASSERT_TRUE(auth.required());
  EXPECT_FALSE(auth.login("admin", "wrong"));
  EXPECT_FALSE(auth.login("Admin", "correct horse"));
  EXPECT_FALSE(auth.login("", ""));
  auto token = auth.login("admin", "correct horse");
  ASSERT_TRUE(token);
  EXPECT_TRUE(std::regex_match(*token, std::regex("[0-9a-f]{32}"))) << *token;
  EXPECT_TRUE(auth.check(*token));
  auth.logout(*token);
  EXPECT_FALSE(auth.check(*token));
  EXPECT_NE(Auth::session_cookie("x").find("HttpOnly"), std::string::npos);
  EXPECT_NE(Auth::session_cookie("x").find("SameSite=Strict"), std::string::npos);
}

TEST(Auth, EmptyPasswordNeverLogsIn) {
  Auth auth({}, "admin", "");
  EXPECT_FALSE(auth.login("admin", ""));
}

TEST(Auth, RandomTokensDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i)
    seen.insert(random_token());
  EXPECT_EQ(seen.size(), 200u);
}

TEST(ConstantTimeEqual, Semantics) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("abc", ""));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0", 2), "a"));
}

} // namespace
} // namespace tilescope::server
