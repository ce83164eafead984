// Dispatcher: a request in, a response out, no socket. Error JSON shape, auth
// gating, 404/405, static routes, exception mapping.
#include "http/api_error.h"
#include "http/dispatcher.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tilescope::server {
namespace {

using nlohmann::json;

struct Fixture {
  explicit Fixture(std::vector<std::string> tokens = {}) : auth(std::move(tokens), "", "") {
    Router router;
    router.add(http::verb::get, "/healthz", [](RequestContext&) {
      return Response::json({{"status", "ok"}});
    });
    router.add(http::verb::get, "/metrics",
               [](RequestContext&) { return Response::bytes("m 1\n", "text/plain"); });
    router.add(http::verb::get, "/api/v1/auth", [](RequestContext&) {
      return Response::json({{"required", true}});
    });
    router.add(http::verb::get, "/api/v1/events", [](RequestContext& c) {
      c.query.allow_only({"limit"});
      return Response::json({{"limit", c.query.get_int("limit", 1, 500).value_or(50)}});
    });
    router.add(http::verb::get, "/api/v1/events/{id}", [](RequestContext& c) {
      return Response::json({{"id", c.path_id("id")}});
    });
    router.add(http::verb::get, "/api/v1/boom",
               [](RequestContext&) -> Response { throw std::runtime_error("x"); });
    router.add(http::verb::get, "/api/v1/mapped",
               [](RequestContext&) -> Response { throw std::logic_error("m"); });
    dispatcher = std::make_unique<Dispatcher>(std::move(router), auth, StaticFiles::embedded(),
                                              std::set<std::string>{"/api/v1/auth"},
                                              [](const std::exception& e) -> std::optional<Response> {
                                                if (dynamic_cast<const std::logic_error*>(&e))
                                                  return error_response(ApiError::conflict("mapped"));
                                                return std::nullopt;
                                              });
  }

  Response get(const std::string& target, http::verb method = http::verb::get,
               const std::string& token = "") {
    Request request{method, target, 11};
    if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
    return dispatcher->handle(request);
  }

  Auth auth;
  std::unique_ptr<Dispatcher> dispatcher;
};

json error_of(const Response& response) { return json::parse(response.body).at("error"); }

TEST(Dispatcher, RoutesAndValidates) {
  Fixture f;
  EXPECT_EQ(json::parse(f.get("/api/v1/events?limit=7").body)["limit"], 7);
  EXPECT_EQ(json::parse(f.get("/api/v1/events/12").body)["id"], 12);

  Response bad = f.get("/api/v1/events?limit=0");
  EXPECT_EQ(bad.status, http::status::bad_request);
  EXPECT_EQ(error_of(bad)["code"], "bad_request");
  EXPECT_EQ(error_of(bad)["field"], "limit");
  EXPECT_EQ(error_of(f.get("/api/v1/events?limt=3"))["field"], "limt");
  EXPECT_EQ(error_of(f.get("/api/v1/events/..%2f..%2fetc"))["field"], "id");
  EXPECT_EQ(f.get("not-a-path").status, http::status::bad_request);
}

TEST(Dispatcher, UnknownRoutesAre404JsonAndWrongMethods405) {
  Fixture f;
  Response missing = f.get("/api/v1/nothing");
  EXPECT_EQ(missing.status, http::status::not_found);
  EXPECT_EQ(missing.content_type, "application/json");
  EXPECT_EQ(error_of(missing)["code"], "not_found");
  Response wrong = f.get("/api/v1/events", http::verb::post);
  EXPECT_EQ(wrong.status, http::status::method_not_allowed);
  ASSERT_FALSE(wrong.headers.empty());
  EXPECT_EQ(wrong.headers.front().second, "GET, HEAD");
  EXPECT_EQ(f.get("/", http::verb::delete_).status, http::status::method_not_allowed);
}

TEST(Dispatcher, ExceptionsBecomeErrorJson) {
  Fixture f;
  Response boom = f.get("/api/v1/boom");
  EXPECT_EQ(boom.status, http::status::internal_server_error);
  EXPECT_EQ(error_of(boom)["code"], "internal");
  EXPECT_EQ(boom.body.find("x\""), std::string::npos); // internals stay in the log
  EXPECT_EQ(f.get("/api/v1/mapped").status, http::status::conflict);
}

TEST(Dispatcher, AuthGatesApiAndMetricsOnly) {
  Fixture f({"tok-123"});
  EXPECT_EQ(f.get("/api/v1/events").status, http::status::unauthorized);
  EXPECT_EQ(error_of(f.get("/api/v1/events"))["code"], "unauthorized");
  EXPECT_EQ(f.get("/api/v1/nothing").status, http::status::unauthorized); // routes are not revealed
  EXPECT_EQ(f.get("/metrics").status, http::status::unauthorized);
  EXPECT_EQ(f.get("/api/v1/events", http::verb::get, "wrong").status, http::status::unauthorized);
  EXPECT_EQ(f.get("/api/v1/events", http::verb::get, "tok-123").status, http::status::ok);
  EXPECT_EQ(f.get("/api/v1/events?token=tok-123").status, http::status::ok);
  EXPECT_EQ(f.get("/healthz").status, http::status::ok);
  EXPECT_EQ(f.get("/api/v1/auth").status, http::status::ok);
  EXPECT_EQ(f.get("/").status, http::status::ok); // the UI (and its login page) loads
  Request upgrade{http::verb::get, "/api/v1/ws?token=tok-123", 11};
  EXPECT_TRUE(f.dispatcher->authorized(upgrade));
  Request no_token{http::verb::get, "/api/v1/ws", 11};
  EXPECT_FALSE(f.dispatcher->authorized(no_token));
}

TEST(Dispatcher, StaticRoutesNeverTraverse) {
  Fixture f;
  for (const char* target : {"/static/../CMakeLists.txt", "/static/%2e%2e/%2e%2e/CMakeLists.txt",
                             "/static/..%2F..%2FCMakeLists.txt", "/static//etc/passwd",
                             "/static/%2Fetc%2Fpasswd", "/static/.%2e/x", "/static/nope.js"}) {
    Response r = f.get(target);
    EXPECT_EQ(r.status, http::status::not_found) << target;
  }
}

} // namespace
} // namespace tilescope::server
