// Router: literal segments beat parameters, 405 lists what is allowed, ids validate.
#include "http/api_error.h"
#include "http/router.h"

#include <gtest/gtest.h>

namespace tilescope::server {
namespace {

using Segments = std::vector<std::string>;

Router make_router() {
  Router router;
  auto tag = [](std::string name) {
    return [name](RequestContext&) { return Response::bytes(name, "text/plain"); };
  };
  router.add(http::verb::get, "/api/v1/cameras", tag("list"));
  router.add(http::verb::post, "/api/v1/cameras", tag("create"));
  router.add(http::verb::post, "/api/v1/cameras/test", tag("test"));
  router.add(http::verb::get, "/api/v1/cameras/{id}", tag("get"));
  router.add(http::verb::delete_, "/api/v1/cameras/{id}", tag("delete"));
  router.add(http::verb::get, "/api/v1/cameras/{id}/snapshot.jpg", tag("snapshot"));
  return router;
}

std::string run(const Router& router, http::verb method, const Segments& segments) {
  auto match = router.match(method, segments);
  if (match.kind != Router::MatchKind::kFound) return "-";
  Request request;
  RequestContext context{request, match.path_params, {}};
  return (*match.handler)(context).body;
}

TEST(Router, MatchesByMethodAndPattern) {
  const Router router = make_router();
  EXPECT_EQ(run(router, http::verb::get, {"api", "v1", "cameras"}), "list");
  EXPECT_EQ(run(router, http::verb::post, {"api", "v1", "cameras"}), "create");
  EXPECT_EQ(run(router, http::verb::post, {"api", "v1", "cameras", "test"}), "test"); // literal beats {id}
  EXPECT_EQ(run(router, http::verb::get, {"api", "v1", "cameras", "7"}), "get");
  EXPECT_EQ(run(router, http::verb::head, {"api", "v1", "cameras", "7"}), "get"); // HEAD uses GET
  EXPECT_EQ(run(router, http::verb::get, {"api", "v1", "cameras", "7", "snapshot.jpg"}), "snapshot");
  auto match = router.match(http::verb::get, {"api", "v1", "cameras", "42"});
  EXPECT_EQ(match.path_params.at("id"), "42");
  EXPECT_EQ(match.pattern, "/api/v1/cameras/{id}");
}

TEST(Router, NotFoundAndMethodNotAllowed) {
  const Router router = make_router();
  EXPECT_EQ(router.match(http::verb::get, {"api", "v1", "nope"}).kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.match(http::verb::get, {"api", "v1", "cameras", ""}).kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.match(http::verb::get, {"api", "v1", "cameras", "1", "x", "y"}).kind,
            Router::MatchKind::kNotFound);
  auto match = router.match(http::verb::put, {"api", "v1", "cameras"});
  EXPECT_EQ(match.kind, Router::MatchKind::kMethodNotAllowed);
  EXPECT_EQ(match.allowed, (std::vector<http::verb>{http::verb::get, http::verb::post, http::verb::head}));
}

TEST(Router, PathIdValidatesAndNamesTheParameter) {
  Request request;
  for (const char* bad : {"abc", "0", "-3", "1.5", "..", "99999999999999999999", "7x"}) {
    RequestContext context{request, {{"id", bad}}, {}};
    try {
      context.path_id("id");
      ADD_FAILURE() << bad << " accepted";
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status(), http::status::bad_request);
      EXPECT_EQ(e.field(), "id");
    }
  }
  RequestContext ok{request, {{"id", "12"}}, {}};
  EXPECT_EQ(ok.path_id("id"), 12);
}

TEST(Router, RejectsDuplicateAndMalformedPatterns) {
  Router router = make_router();
  EXPECT_THROW(router.add(http::verb::get, "/api/v1/cameras", {}), Error);
  EXPECT_THROW(router.add(http::verb::get, "api/v1", {}), Error);
  EXPECT_EQ(router.routes().size(), 6u);
}

} // namespace
} // namespace tilescope::server
