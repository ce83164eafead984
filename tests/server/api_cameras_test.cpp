// /api/v1/cameras over a real system: CRUD, validation naming the field, 404s,
// connection tests, snapshots, MJPEG, and passwords never shown.
#include "api_fixture.h"

#include <opencv2/imgcodecs.hpp>

namespace tilescope::server::testing {
namespace {

using nlohmann::json;
namespace http = boost::beast::http;

std::string cameras(std::int64_t id, const std::string& rest = "") {
  return "/api/v1/cameras/" + std::to_string(id) + rest;
}

cv::Mat decode(const std::string& jpeg) {
  return cv::imdecode(cv::Mat(1, static_cast<int>(jpeg.size()), CV_8UC1, const_cast<char*>(jpeg.data())),
                      cv::IMREAD_COLOR);
}

TEST_F(ApiTest, CamerasListAndStatus) {
  HttpResult list = client_.get("/api/v1/cameras");
  ASSERT_EQ(list.status, 200) << list.body;
  const json cams = list.json()["cameras"];
  ASSERT_EQ(cams.size(), 1u);
  EXPECT_EQ(cams[0]["name"], "cam1");
  EXPECT_EQ(cams[0]["id"], camera_id());
  EXPECT_TRUE(cams[0]["status"].contains("state"));
  for (const char* key : {"url", "enabled", "fps_limit", "zones", "events", "tiling"})
    EXPECT_TRUE(cams[0].contains(key)) << key;

  HttpResult one = client_.get(cameras(camera_id()));
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json()["name"], "cam1");

  // The status reaches "live" once the file plays.
  json status;
  EXPECT_TRUE(wait_until(
      [&] {
        status = client_.get(cameras(camera_id(), "/status")).json();
        return status["state"] == "live" && status["frames_processed"].get<int>() > 0;
      },
      std::chrono::seconds(120)))
      << status.dump();
  for (const char* key : {"state", "last_error", "reconnects", "input_fps", "processed_fps", "frames_decoded",
                          "frames_dropped", "frames_processed", "tiles_per_frame", "latency_p50_ms",
                          "latency_p95_ms", "width", "height", "codec", "events_opened"}) {
    EXPECT_TRUE(status.contains(key)) << key;
  }
  EXPECT_EQ(status["width"], 768);
  EXPECT_EQ(status["height"], 576);
}

TEST_F(ApiTest, CameraCrudKeepsPasswordsOut) {
  const json body = {
      {"name", "gate"},
      {"url", "rtsp://admin:" + kSecret + "@127.0.0.1:9/live"},
      {"enabled", false},
      {"zones", json::array({{{"name", "door"}, {"points", {{0.1, 0.1}, {0.5, 0.1}, {0.5, 0.5}}}}})}};
  HttpResult created = client_.post_json("/api/v1/cameras", body.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::int64_t id = created.json()["id"].get<std::int64_t>();
  EXPECT_EQ(created.header("Location"), cameras(id));
  EXPECT_EQ(created.json()["url"], "rtsp://admin:***@127.0.0.1:9/live");
  EXPECT_EQ(created.json()["status"]["state"], "disabled");

  // Taken name: 409.
  HttpResult again = client_.post_json("/api/v1/cameras", body.dump());
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.json()["error"]["code"], "conflict");

  // PUT what was read (password "***"): the stored password stays.
  json update = created.json();
  update.erase("id");
  update.erase("status");
  update["fps_limit"] = 2;
  HttpResult updated = client_.request(http::verb::put, cameras(id), update.dump(), "application/json");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.json()["fps_limit"], 2);
  EXPECT_EQ(system().camera(id)->config.url, "rtsp://admin:" + kSecret + "@127.0.0.1:9/live");

  // Everything that shows cameras, and the camera test's error, keep the secret out.
  client_.get("/api/v1/cameras");
  client_.get(cameras(id));
  client_.get(cameras(id, "/status"));
  client_.get("/api/v1/system");
  client_.get("/metrics");
  HttpResult probe = client_.post_json(
      "/api/v1/cameras/test", json({{"url", "rtsp://admin:" + kSecret + "@127.0.0.1:9/live"}}).dump());
  EXPECT_EQ(probe.status, 200) << probe.body;
  EXPECT_FALSE(probe.json()["ok"].get<bool>());
  int ws_status = 0;
  WsClient ws(port(), "/api/v1/ws", ws_status);
  ASSERT_EQ(ws_status, 101);
  std::optional<json> message;
  while ((message = ws.next(std::chrono::seconds(10)))) {
    if ((*message)["type"] == "status") break;
  }
  ASSERT_TRUE(message);
  EXPECT_EQ(message->dump().find(kSecret), std::string::npos);
  for (const std::string& response : client_.bodies()) {
    EXPECT_EQ(response.find(kSecret), std::string::npos) << response.substr(0, 300);
  }

  EXPECT_EQ(client_.request(http::verb::delete_, cameras(id)).status, 204);
  EXPECT_EQ(client_.get(cameras(id)).status, 404);
  EXPECT_EQ(client_.request(http::verb::delete_, cameras(id)).status, 404);
}

TEST_F(ApiTest, CameraValidationNamesTheField) {
  struct Case {
    std::string body;
    std::string field;
  };
  const Case cases[] = {
      {"{\"name\": \"x\", \"url\": ", "body"},                                      // malformed JSON
      {"[1, 2]", "body"},                                                           // not an object
      {"", "body"},                                                                 // empty
      {R"({"name": "x"})", "url"},                                                  // missing url
      {R"({"name": "x", "url": "/dev/video0", "fps_limit": "fast"})", "fps_limit"}, // wrong type
      {R"({"name": "x", "url": "/dev/video0", "zones": [{"name": "z", "points": [[0, 0]]}]})",
       "zones[0].points"},
      {R"({"name": "x", "url": "/dev/video0", "colour": "red"})", "colour"}, // unknown key
  };
  for (const Case& c : cases) {
    HttpResult r = client_.post_json("/api/v1/cameras", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    if (r.status != 400) continue;
    const json error = r.json()["error"];
    EXPECT_EQ(error["code"], "bad_request");
    EXPECT_EQ(error["field"], c.field) << r.body;
    EXPECT_NE(error["message"].get<std::string>().find(c.field), std::string::npos) << r.body;
  }
  // A PUT is checked the same way.
  HttpResult put = client_.request(http::verb::put, cameras(camera_id()), R"({"name": "cam1", "url": 5})",
                                   "application/json");
  EXPECT_EQ(put.status, 400);
  EXPECT_EQ(put.json()["error"]["field"], "url");
}

TEST_F(ApiTest, UnknownAndMalformedCameraIds) {
  for (const char* rest : {"", "/status", "/snapshot.jpg", "/mjpeg"}) {
    HttpResult r = client_.get(cameras(987654, rest));
    EXPECT_EQ(r.status, 404) << rest;
    EXPECT_EQ(r.json()["error"]["code"], "not_found");
  }
  EXPECT_EQ(client_
                .request(http::verb::put, cameras(987654), R"({"name": "n", "url": "/dev/video0"})",
                         "application/json")
                .status,
            404);
  for (const char* bad : {"abc", "0", "-1", "1.5", "%2e%2e"}) {
    HttpResult r = client_.get(std::string("/api/v1/cameras/") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.json()["error"]["field"], "id") << bad;
  }
}

TEST_F(ApiTest, CameraConnectionTest) {
  HttpResult ok = client_.post_json("/api/v1/cameras/test", json({{"url", kVideo}}).dump());
  ASSERT_EQ(ok.status, 200) << ok.body;
  const json result = ok.json();
  EXPECT_TRUE(result["ok"].get<bool>()) << ok.body;
  EXPECT_EQ(result["width"], 768);
  EXPECT_EQ(result["height"], 576);
  for (const char* key : {"error", "fps", "codec", "elapsed_ms"})
    EXPECT_TRUE(result.contains(key)) << key;

  HttpResult missing = client_.post_json("/api/v1/cameras/test", json({{"url", "/no/such/file.mp4"}}).dump());
  ASSERT_EQ(missing.status, 200);
  EXPECT_FALSE(missing.json()["ok"].get<bool>());
  EXPECT_FALSE(missing.json()["error"].get<std::string>().empty());

  EXPECT_EQ(client_.post_json("/api/v1/cameras/test", "{nope").status, 400);
}

TEST_F(ApiTest, SnapshotAndMjpegAreJpegFrames) {
  const std::string jpeg = camera_jpeg();
  cv::Mat frame = decode(jpeg);
  ASSERT_FALSE(frame.empty());
  EXPECT_EQ(frame.cols, 768);
  EXPECT_EQ(frame.rows, 576);
  HttpResult annotated = client_.get(cameras(camera_id(), "/snapshot.jpg?annotated=1"));
  ASSERT_EQ(annotated.status, 200);
  EXPECT_EQ(annotated.header("Content-Type"), "image/jpeg");
  EXPECT_FALSE(decode(annotated.body).empty());
  EXPECT_EQ(client_.get(cameras(camera_id(), "/snapshot.jpg?annotated=maybe")).json()["error"]["field"],
            "annotated");

  std::vector<std::string> parts;
  HttpResult head = client_.mjpeg(cameras(camera_id(), "/mjpeg"), 3, parts);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Type"), "multipart/x-mixed-replace; boundary=frame");
  ASSERT_EQ(parts.size(), 3u);
  for (const std::string& part : parts) {
    cv::Mat image = decode(part);
    ASSERT_FALSE(image.empty());
    EXPECT_EQ(image.cols, 768);
  }
}

} // namespace
} // namespace tilescope::server::testing
