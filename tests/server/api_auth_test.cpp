// Auth against a second server on the same system, configured with a token and a
// login; and the server's stop() with streams open.
#include "api_fixture.h"

#include <thread>

namespace tilescope::server::testing {
namespace {

using nlohmann::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

constexpr const char* kToken = "static-token-0123456789";

class AuthServer {
public:
  explicit AuthServer(pipeline::System& system, config::ServerConfig config) {
    config.tokens = {kToken};
    config.username = "admin";
    config.password = "correct horse";
    server_ = HttpServer::start(system, config);
  }
  int port() const { return server_->port(); }
  HttpServer& server() { return *server_; }

private:
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ApiTest, AuthRequiredWhenConfigured) {
  AuthServer auth(system(), server_config());
  TestClient client(auth.port());
  const std::string bearer = std::string("Bearer ") + kToken;

  for (const char* target : {"/api/v1/cameras", "/api/v1/events", "/api/v1/system", "/metrics",
                             "/api/v1/nope", "/api/v1/openapi.json"}) {
    HttpResult r = client.get(target);
    EXPECT_EQ(r.status, 401) << target;
    EXPECT_EQ(r.json()["error"]["code"], "unauthorized") << target;
  }
  EXPECT_EQ(client.get("/healthz").status, 200);
  EXPECT_EQ(client.get("/").status, 200);
  const json state = client.get("/api/v1/auth").json();
  EXPECT_TRUE(state["required"].get<bool>());
  EXPECT_FALSE(state["authenticated"].get<bool>());

  EXPECT_EQ(client.get("/api/v1/cameras", {{"Authorization", bearer}}).status, 200);
  EXPECT_EQ(client.get("/api/v1/cameras", {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(client.get(std::string("/api/v1/cameras?token=") + kToken).status, 200);
  EXPECT_TRUE(client.get("/api/v1/auth", {{"Authorization", bearer}}).json()["authenticated"].get<bool>());

  // An upload without auth is refused before its body is read.
  HttpResult upload =
      client.request(http::verb::post, "/api/v1/detect", std::string(4 * 1024 * 1024, 'z'), "image/jpeg");
  EXPECT_EQ(upload.status, 401);

  // Login flow.
  EXPECT_EQ(client.post_json("/api/v1/login", R"({"username": "admin", "password": "wrong"})").status, 401);
  EXPECT_EQ(client.post_json("/api/v1/login", R"({"username": "admin"})").json()["error"]["field"],
            "password");
  HttpResult login =
      client.post_json("/api/v1/login", R"({"username": "admin", "password": "correct horse"})");
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string session = login.json()["token"];
  EXPECT_EQ(session.size(), 32u);
  const std::string cookie = login.header("Set-Cookie");
  EXPECT_NE(cookie.find("tilescope_token=" + session), std::string::npos);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(client.get("/api/v1/events", {{"Cookie", "tilescope_token=" + session}}).status, 200);
  EXPECT_EQ(client.get("/api/v1/events", {{"Authorization", "Bearer " + session}}).status, 200);
  EXPECT_EQ(
      client.request(http::verb::post, "/api/v1/logout", "", "", {{"Authorization", "Bearer " + session}})
          .status,
      204);
  EXPECT_EQ(client.get("/api/v1/events", {{"Authorization", "Bearer " + session}}).status, 401);

  // Streams: MJPEG and WebSocket take ?token=.
  std::vector<std::string> parts;
  EXPECT_EQ(client.mjpeg("/api/v1/cameras/" + std::to_string(camera_id()) + "/mjpeg", 1, parts, 10s).status,
            401);
  int status = 0;
  WsClient refused(auth.port(), "/api/v1/ws", status);
  EXPECT_EQ(status, 401);
  WsClient accepted(auth.port(), std::string("/api/v1/ws?token=") + kToken, status);
  EXPECT_EQ(status, 101);
}

// The brute-force limit over a real socket (the defaults: 5 failures, then 429 for
// 5 minutes; the clock-driven cases are in login_limiter_test.cpp).
TEST_F(ApiTest, RepeatedFailedLoginsAreRateLimited) {
  AuthServer auth(system(), server_config());
  TestClient client(auth.port());
  const std::string wrong = R"({"username": "admin", "password": "guess"})";
  const std::string right = R"({"username": "admin", "password": "correct horse"})";

  // A success in between clears the count: 4 failures, a login, 4 more are still 401.
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(client.post_json("/api/v1/login", wrong).status, 401) << i;
  EXPECT_EQ(client.post_json("/api/v1/login", right).status, 200);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(client.post_json("/api/v1/login", wrong).status, 401) << i;
  // The fifth failure in a row locks the address...
  EXPECT_EQ(client.post_json("/api/v1/login", wrong).status, 401);
  HttpResult refused = client.post_json("/api/v1/login", wrong);
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "too_many_requests");
  const int retry_after = std::stoi(refused.header("Retry-After"));
  EXPECT_GT(retry_after, 0);
  EXPECT_LE(retry_after, 300);
  // ... and the right password is not even checked while it is.
  EXPECT_EQ(client.post_json("/api/v1/login", right).status, 429);
  // Malformed bodies are still 400, and tokens still work: only logins are limited.
  EXPECT_EQ(client.post_json("/api/v1/login", R"({"username": "admin"})").status, 400);
  const std::string metrics =
      client.get("/metrics", {{"Authorization", std::string("Bearer ") + kToken}}).body;
  EXPECT_NE(metrics.find("tilescope_login_failures_total 9"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tilescope_login_refused_total 2"), std::string::npos) << metrics;
  // The limit belongs to this server's auth: the fixture's server (no auth) is untouched.
  EXPECT_EQ(client_.get("/healthz").status, 200);
}

TEST_F(ApiTest, NonLoopbackBindNeedsAuth) {
  config::ServerConfig open = server_config();
  open.bind = "0.0.0.0";
  EXPECT_THROW(HttpServer::start(system(), open), Error);
  config::ServerConfig taken = server_config();
  taken.port = port(); // in use by the fixture's server
  try {
    HttpServer::start(system(), taken);
    ADD_FAILURE() << "a second server bound a port in use";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(port())), std::string::npos) << e.what();
  }
}

TEST_F(ApiTest, StopClosesOpenStreams) {
  AuthServer auth(system(), server_config());
  camera_jpeg();
  int status = 0;
  WsClient ws(auth.port(), std::string("/api/v1/ws?token=") + kToken, status);
  ASSERT_EQ(status, 101);
  // An MJPEG viewer on another thread, reading until the server goes away.
  std::vector<std::string> parts;
  HttpResult head;
  std::thread viewer([&] {
    TestClient client(auth.port());
    head = client.mjpeg("/api/v1/cameras/" + std::to_string(camera_id()) + "/mjpeg?token=" + kToken, 100000,
                        parts, 120s);
  });
  // Streaming (seen through the server's own metrics: `parts` belongs to the viewer thread).
  TestClient probe(auth.port());
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string text = probe.get(std::string("/metrics?token=") + kToken).body;
        return text.find("tilescope_mjpeg_streams 1") != std::string::npos &&
               text.find("tilescope_mjpeg_frames_sent_total 0") == std::string::npos;
      },
      60s));
  auth.server().stop(); // must return with both streams open
  viewer.join();
  EXPECT_EQ(head.status, 200);
  EXPECT_LT(parts.size(), 100000u);
  bool closed = false;
  for (int i = 0; i < 50 && !closed; ++i) {
    ws.next(100ms);
    closed = ws.closed();
  }
  EXPECT_TRUE(closed);
  // The fixture's server is untouched.
  EXPECT_EQ(client_.get("/healthz").status, 200);
}

} // namespace
} // namespace tilescope::server::testing
