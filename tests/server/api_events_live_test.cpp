// Events (list, filters, paging, snapshot, delete) and live push (WebSocket) over a
// real system watching the sample video (pedestrians: person events come on their own).
#include "api_fixture.h"

#include <opencv2/imgcodecs.hpp>
#include <set>

namespace tilescope::server::testing {
namespace {

using nlohmann::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

TEST_F(ApiTest, WebSocketPushesFramesWithObjectsAndEvents) {
  int status = 0;
  WsClient ws(port(), "/api/v1/ws", status);
  ASSERT_EQ(status, 101);
  bool saw_status = false, saw_objects = false, saw_event = false;
  const auto deadline = std::chrono::steady_clock::now() + 150s;
  while (std::chrono::steady_clock::now() < deadline && !(saw_status && saw_objects && saw_event)) {
    auto message = ws.next(1s);
    if (!message) {
      ASSERT_FALSE(ws.closed());
      continue;
    }
    const std::string type = (*message)["type"];
    if (type == "status") {
      saw_status = true;
      ASSERT_FALSE((*message)["cameras"].empty());
      EXPECT_TRUE((*message)["cameras"][0]["status"].contains("state"));
    } else if (type == "frame") {
      const json& frame = *message;
      EXPECT_EQ(frame["camera_id"], camera_id());
      EXPECT_EQ(frame["camera"], "cam1");
      EXPECT_EQ(frame["width"], 768);
      for (const char* key : {"seq", "ts_ms", "latency_ms", "height", "tiles", "full_frame"})
        EXPECT_TRUE(frame.contains(key)) << key;
      for (const json& object : frame["objects"]) {
        saw_objects = true;
        EXPECT_EQ(object["box"].size(), 4u);
        EXPECT_TRUE(object.contains("id") && object.contains("label") && object.contains("score"));
      }
    } else if (type == "event") {
      saw_event = true;
      EXPECT_TRUE((*message)["kind"] == "opened" || (*message)["kind"] == "updated" ||
                  (*message)["kind"] == "closed");
      EXPECT_EQ((*message)["event"]["label"], "person");
      EXPECT_EQ((*message)["event"]["camera_id"], camera_id());
    }
  }
  EXPECT_TRUE(saw_status);
  EXPECT_TRUE(saw_objects) << "no frame message with objects";
  EXPECT_TRUE(saw_event) << "no event message";
}

TEST_F(ApiTest, WebSocketSubscribeLimitsFramesAndRejectsGarbage) {
  int status = 0;
  WsClient ws(port(), "/api/v1/ws", status);
  ASSERT_EQ(status, 101);
  bool saw_frame = false;
  for (int i = 0; i < 120 && !saw_frame; ++i) {
    auto message = ws.next(1s);
    saw_frame = message && (*message)["type"] == "frame";
  }
  ASSERT_TRUE(saw_frame);

  ws.send(R"({"subscribe": "everything"})");
  ws.send("not json");
  int errors = 0;
  for (int i = 0; i < 50 && errors < 2; ++i) {
    auto message = ws.next(200ms);
    if (message && (*message)["type"] == "error") ++errors;
  }
  EXPECT_EQ(errors, 2);

  // Subscribed to a camera that does not exist: cam1's frames stop (after those
  // already queued, which the first second drains).
  ws.send(R"({"subscribe": [999999]})");
  const auto drain_until = std::chrono::steady_clock::now() + 1s;
  while (std::chrono::steady_clock::now() < drain_until)
    ws.next(100ms);
  int frames = 0;
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < until) {
    auto message = ws.next(200ms);
    if (message && (*message)["type"] == "frame") ++frames;
  }
  EXPECT_EQ(frames, 0);

  ws.send(R"({"subscribe": null})");
  saw_frame = false;
  for (int i = 0; i < 60 && !saw_frame; ++i) {
    auto message = ws.next(1s);
    saw_frame = message && (*message)["type"] == "frame";
  }
  EXPECT_TRUE(saw_frame);
}

TEST_F(ApiTest, EventsListFilterPageSnapshotDelete) {
  const std::int64_t id = wait_for_event(180s);
  ASSERT_GT(id, 0) << "no event with a snapshot from the sample video";

  HttpResult list =
      client_.get("/api/v1/events?camera=" + std::to_string(camera_id()) + "&label=person&limit=1");
  ASSERT_EQ(list.status, 200) << list.body;
  const json page = list.json();
  EXPECT_EQ(page["limit"], 1);
  EXPECT_EQ(page["offset"], 0);
  ASSERT_EQ(page["events"].size(), 1u);
  EXPECT_GE(page["total"].get<int>(), 1);
  const json event = page["events"][0];
  for (const char* key :
       {"id", "camera_id", "camera", "label", "class_id", "score", "start_ms", "end_ms", "updated_ms", "box",
        "frame", "zones", "track_id", "has_snapshot", "snapshot_url"}) {
    EXPECT_TRUE(event.contains(key)) << key;
  }
  EXPECT_EQ(client_.get("/api/v1/events?label=car").json()["total"], 0);
  EXPECT_EQ(client_.get("/api/v1/events?camera=987654").json()["total"], 0);
  EXPECT_EQ(client_.get("/api/v1/events?from=0&to=1").json()["total"], 0);
  EXPECT_GE(client_.get("/api/v1/events?from=0").json()["total"].get<int>(), 1);
  EXPECT_EQ(client_.get("/api/v1/events?zone=nowhere").json()["total"], 0);
  EXPECT_EQ(client_.get("/api/v1/events?open=true&camera=&label=").status, 200); // empty values: not given

  HttpResult one = client_.get("/api/v1/events/" + std::to_string(id));
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json()["id"], id);
  EXPECT_EQ(one.json()["snapshot_url"], "/api/v1/events/" + std::to_string(id) + "/snapshot.jpg");
  HttpResult snapshot = client_.get("/api/v1/events/" + std::to_string(id) + "/snapshot.jpg");
  ASSERT_EQ(snapshot.status, 200);
  EXPECT_EQ(snapshot.header("Content-Type"), "image/jpeg");
  cv::Mat image = cv::imdecode(
      cv::Mat(1, static_cast<int>(snapshot.body.size()), CV_8UC1, const_cast<char*>(snapshot.body.data())),
      cv::IMREAD_COLOR);
  EXPECT_FALSE(image.empty());

  EXPECT_EQ(client_.request(http::verb::delete_, "/api/v1/events/" + std::to_string(id)).status, 204);
  EXPECT_EQ(client_.get("/api/v1/events/" + std::to_string(id)).status, 404);
  EXPECT_EQ(client_.get("/api/v1/events/" + std::to_string(id) + "/snapshot.jpg").status, 404);
  EXPECT_EQ(client_.request(http::verb::delete_, "/api/v1/events/" + std::to_string(id)).status, 404);
}

TEST_F(ApiTest, EventQueryErrorsNameTheParameter) {
  const std::pair<std::string, std::string> cases[] = {
      {"limit=0", "limit"},     {"limit=501", "limit"},       {"limit=ten", "limit"},
      {"offset=-1", "offset"},  {"camera=abc", "camera"},     {"from=yesterday", "from"},
      {"to=1.5", "to"},         {"open=maybe", "open"},       {"from=10&to=5", "from"},
      {"colour=red", "colour"}, {"limit=1&limit=2", "limit"}, {"label=%zz", "label"},
  };
  for (const auto& [query, field] : cases) {
    HttpResult r = client_.get("/api/v1/events?" + query);
    EXPECT_EQ(r.status, 400) << query;
    if (r.status == 400) {
      EXPECT_EQ(r.json()["error"]["field"], field) << query << " -> " << r.body;
    }
  }
  EXPECT_EQ(client_.get("/api/v1/events/987654").status, 404);
  EXPECT_EQ(client_.get("/api/v1/events/987654/snapshot.jpg").status, 404);
  EXPECT_EQ(client_.get("/api/v1/events/abc").json()["error"]["field"], "id");
}

} // namespace
} // namespace tilescope::server::testing
