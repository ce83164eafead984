// /healthz, /metrics, /api/v1/system, classes, the OpenAPI document against the real
// route table, static UI, malformed requests and traversal attempts.
#include "api.h"
#include "api_fixture.h"

#include <set>

namespace tilescope::server::testing {
namespace {

using nlohmann::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

TEST_F(ApiTest, HealthSystemClasses) {
  HttpResult health = client_.get("/healthz");
  ASSERT_EQ(health.status, 200);
  EXPECT_EQ(health.json()["status"], "ok");
  EXPECT_EQ(health.json()["cameras"], 1);
  EXPECT_TRUE(health.json().contains("uptime_s"));

  HttpResult head = client_.request(http::verb::head, "/healthz");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_GT(std::stoi(head.header("Content-Length")), 0);

  const json info = client_.get("/api/v1/system").json();
  for (const char* key : {"version", "model", "uptime_s", "memory_mb", "storage", "cameras"})
    EXPECT_TRUE(info.contains(key)) << key;
  EXPECT_EQ(info["model"]["input"].size(), 2u);
  EXPECT_EQ(info["model"]["classes"], 80);
  EXPECT_EQ(info["storage"]["path"], system().store().dir());
  EXPECT_GT(info["memory_mb"].get<double>(), 0);

  const json classes = client_.get("/api/v1/classes").json()["classes"];
  ASSERT_EQ(classes.size(), 80u);
  EXPECT_EQ(classes[0], "person");
}

TEST_F(ApiTest, MetricsHaveTheDocumentedFamilies) {
  camera_jpeg(); // a processed frame, so the camera's samples exist
  int ws_status = 0;
  WsClient ws(port(), "/api/v1/ws", ws_status);
  ASSERT_EQ(ws_status, 101);
  HttpResult metrics = client_.get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  for (const char* family : {"tilescope_camera_input_fps", "tilescope_camera_processed_fps",
                             "tilescope_camera_frames_dropped_total", "tilescope_camera_tiles_per_frame",
                             "tilescope_inference_latency_ms", "tilescope_camera_reconnects_total",
                             "tilescope_process_resident_memory_bytes", "tilescope_http_requests_total",
                             "tilescope_http_connections", "tilescope_websocket_sessions",
                             "tilescope_websocket_frames_dropped_total", "tilescope_mjpeg_streams"}) {
    EXPECT_NE(metrics.body.find(std::string("# TYPE ") + family + " "), std::string::npos) << family;
  }
  EXPECT_NE(metrics.body.find("tilescope_http_requests_total{code=\"2xx\"}"), std::string::npos);
  EXPECT_NE(metrics.body.find("tilescope_websocket_sessions 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("camera=\"cam1\""), std::string::npos);
}

TEST_F(ApiTest, OpenApiListsEveryRoute) {
  HttpResult r = client_.get("/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  const json doc = r.json();
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 3), "3.0");
  // The real route table, built the way the server builds it.
  Auth auth({}, "", "");
  ServerMetrics metrics;
  ApiContext context{system(), server_config(), auth, metrics};
  auto dispatcher = make_api(context, StaticFiles::embedded());
  std::set<std::string> documented;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items())
      documented.insert(method + " " + path);
  }
  std::set<std::string> routed;
  bool alerts_mounted = false;
  for (const Router::RouteInfo& route : dispatcher->router().routes()) {
    std::string method(http::to_string(route.method));
    for (char& c : method)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // The alerts module mounts its own sub-router under generic patterns (alert_routes.cpp);
    // its real paths are documented and checked below.
    if (route.pattern.rfind("/api/v1/alerts", 0) == 0) {
      alerts_mounted = true;
      continue;
    }
    routed.insert(method + " " + route.pattern);
    EXPECT_TRUE(documented.count(method + " " + route.pattern))
        << "undocumented: " << method << " " << route.pattern;
  }
  EXPECT_GE(routed.size(), 25u);
  for (const std::string& op : documented) {
    if (op.find(" /static/") != std::string::npos || op == "get /") continue; // served outside the router
    if (op.rfind("parameters ", 0) == 0) continue;
    if (op.find(" /api/v1/alerts") != std::string::npos) {
      EXPECT_TRUE(alerts_mounted) << "documented but not mounted: " << op;
      continue;
    }
    EXPECT_TRUE(routed.count(op)) << "documented but not routed: " << op;
  }
}

// The routes are a function from request to response: no socket needed.
TEST_F(ApiTest, HandlersRunWithoutASocket) {
  Auth auth({}, "", "");
  ServerMetrics metrics;
  ApiContext context{system(), server_config(), auth, metrics};
  auto api = make_api(context, StaticFiles::embedded());
  auto call = [&](http::verb method, const std::string& target, const std::string& body = "") {
    Request request{method, target, 11};
    request.body() = body;
    request.prepare_payload();
    return api->handle(request);
  };
  Response list = call(http::verb::get, "/api/v1/cameras");
  EXPECT_EQ(list.status, http::status::ok);
  EXPECT_EQ(json::parse(list.body)["cameras"][0]["name"], "cam1");
  Response mjpeg =
      call(http::verb::get, "/api/v1/cameras/" + std::to_string(camera_id()) + "/mjpeg?annotated=0");
  EXPECT_EQ(mjpeg.mjpeg_camera_id, camera_id()); // a hand-over to the stream, not a body
  EXPECT_FALSE(mjpeg.mjpeg_annotated);
  EXPECT_EQ(call(http::verb::get, "/api/v1/events?limit=x").status, http::status::bad_request);
  Response conflict = call(http::verb::post, "/api/v1/cameras", R"({"name": "cam1", "url": "/dev/video9"})");
  EXPECT_EQ(conflict.status, http::status::conflict);
  EXPECT_EQ(json::parse(conflict.body)["error"]["field"], "name");
}

TEST_F(ApiTest, StaticUiAndUnknownPaths) {
  HttpResult index = client_.get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.header("Content-Type"), "text/html; charset=utf-8");
  HttpResult missing = client_.get("/api/v1/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("Content-Type"), "application/json");
  EXPECT_EQ(missing.json()["error"]["code"], "not_found");
  EXPECT_EQ(client_.get("/static/no-such-file.js").status, 404);
  HttpResult wrong_method = client_.request(http::verb::patch, "/api/v1/cameras");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.header("Allow"), "GET, POST, HEAD");
  EXPECT_EQ(client_.get("/api/v1/ws").status, 426);
}

TEST_F(ApiTest, TraversalAttemptsNeverReachFiles) {
  const char* targets[] = {
      "/static/../../../etc/passwd",
      "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/static/..%2f..%2f..%2fetc%2fpasswd",
      "/static//etc/passwd",
      "/static/%2Fetc%2Fpasswd",
      "/../../etc/passwd",
      "/static/.%2e/.%2e/etc/passwd",
      "/static/%252e%252e/etc/passwd",
      "/api/v1/events/..%2f..%2fetc%2fpasswd/snapshot.jpg",
      "/api/v1/events/1%2f..%2f..%2fpasswd/snapshot.jpg",
      "/api/v1/jobs/..%2f..%2f..%2fetc%2fpasswd/result.json",
      "/api/v1/jobs/%2e%2e%2f%2e%2e%2f%2e%2e%2f/video.mp4",
  };
  for (const char* target : targets) {
    // Raw, so no client library normalises the path first.
    HttpResult r =
        client_.raw(std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(r.status == 404 || r.status == 400) << target << " -> " << r.status;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
  }
}

TEST_F(ApiTest, MalformedRequestsAre400) {
  EXPECT_EQ(client_.raw("GARBAGE\r\n\r\n").status, 400);
  // A well-formed request with a bad target keeps the connection: ask for the close.
  EXPECT_EQ(
      client_.raw("GET http://example.com/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status,
      400);
  EXPECT_EQ(client_.raw("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n").status, 400);
  EXPECT_EQ(client_.raw("GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n").status, 400);
  EXPECT_EQ(client_.raw("GET /healthz HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n").status, 400);
  HttpResult ok = client_.raw("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(ok.status, 200);
  // Two pipelined requests on one connection both answered, in order.
  HttpResult pipelined = client_.raw(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(pipelined.status, 404); // the last one
  const std::string& both = client_.bodies().back();
  EXPECT_LT(both.find("HTTP/1.1 200"), both.find("HTTP/1.1 404"));
}

} // namespace
} // namespace tilescope::server::testing
