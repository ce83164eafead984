// The camera JSON of the HTTP API and the store: camera_to_json / camera_from_json.
#include "tilescope/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <set>

namespace tilescope::config {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::string describe(const std::vector<ConfigIssue>& issues) {
  std::string text;
  for (const ConfigIssue& issue : issues)
    text += "\n  " + issue.path + ": " + issue.message;
  return text;
}

std::set<std::string> paths_of(const std::vector<ConfigIssue>& issues) {
  std::set<std::string> paths;
  for (const ConfigIssue& issue : issues)
    paths.insert(issue.path);
  return paths;
}

CameraConfig sample_camera() {
  CameraConfig camera;
  camera.name = "gate";
  camera.url = "rtsp://admin:secret@10.0.0.5:554/live";
  camera.fps_limit = 4;
  camera.classes = {"person"};
  camera.class_thresholds = {{"person", 0.55}};
  camera.tiling = TilingSettings{"640x640", 0.1, 0, 30, false, true, 5};
  camera.zones = {Zone{"door", {{0.1, 0.1}, {0.4, 0.1}, {0.4, 0.9}}}};
  camera.masks = {{{0, 0}, {0.2, 0}, {0.2, 0.1}}};
  camera.events = EventSettings{{"person"}, 0.6, 2, 3};
  return camera;
}

TEST(CameraJson, HasTheKeysOfTheApiContract) {
  const json body = camera_to_json(sample_camera(), false);
  std::set<std::string> keys;
  for (const auto& [key, value] : body.items())
    keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"name", "url", "enabled", "fps_limit", "rtsp_transport", "loop",
                                         "classes", "score_threshold", "class_thresholds", "tiling", "zones",
                                         "masks", "events"}));
  EXPECT_EQ(body["zones"][0]["points"][1], json::array({0.4, 0.1}));
  EXPECT_EQ(body["tiling"]["full_frame"], false);
  EXPECT_EQ(body["events"]["confirm_m"], 3);
  CameraConfig no_tiling = sample_camera();
  no_tiling.tiling.reset();
  EXPECT_TRUE(camera_to_json(no_tiling, false)["tiling"].is_null());
  EXPECT_TRUE(tiling_to_json(TilingSettings{})["full_frame"].is_null());
}

TEST(CameraJson, RoundTrips) {
  const CameraConfig camera = sample_camera();
  std::vector<ConfigIssue> issues;
  const CameraConfig back = camera_from_json(camera_to_json(camera, false), issues);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  EXPECT_EQ(back, camera);
  // Through text, as the store keeps it.
  const CameraConfig from_text = camera_from_json(json::parse(camera_to_json(camera, false).dump()), issues);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  EXPECT_EQ(from_text, camera);
}

TEST(CameraJson, RedactsThePasswordForResponses) {
  const json shown = camera_to_json(sample_camera(), true);
  EXPECT_EQ(shown["url"], "rtsp://admin:***@10.0.0.5:554/live");
  EXPECT_EQ(shown.dump().find("secret"), std::string::npos);
  EXPECT_EQ(camera_to_json(sample_camera(), false)["url"], "rtsp://admin:secret@10.0.0.5:554/live");
}

TEST(CameraJson, StarsKeepThePreviousPasswordOnUpdate) {
  const CameraConfig previous = sample_camera();
  std::vector<ConfigIssue> issues;

  // What the client read, sent back with a change of path: the password is kept.
  json body = camera_to_json(previous, true);
  body["url"] = "rtsp://admin:***@10.0.0.5:554/other";
  body["id"] = 7;
  body["status"] = {{"state", "live"}};
  CameraConfig updated = camera_from_json(body, issues, &previous);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  EXPECT_EQ(updated.url, "rtsp://admin:secret@10.0.0.5:554/other");

  // A new password replaces it.
  body["url"] = "rtsp://admin:n3w@10.0.0.5:554/live";
  EXPECT_EQ(camera_from_json(body, issues, &previous).url, "rtsp://admin:n3w@10.0.0.5:554/live");
  EXPECT_TRUE(issues.empty()) << describe(issues);

  // Another host or user must send the password: "***" would hand the old one to it.
  for (const std::string url : {"rtsp://admin:***@10.6.6.6:554/live", "rtsp://root:***@10.0.0.5:554/live",
                                "rtsps://admin:***@10.0.0.5:554/live"}) {
    issues.clear();
    body["url"] = url;
    camera_from_json(body, issues, &previous);
    ASSERT_EQ(issues.size(), 1u) << url << describe(issues);
    EXPECT_EQ(issues[0].path, "url");
    EXPECT_THAT(issues[0].message, HasSubstr("unchanged"));
  }

  // No password to keep.
  CameraConfig without = previous;
  without.url = "rtsp://10.0.0.5:554/live";
  issues.clear();
  body["url"] = "rtsp://admin:***@10.0.0.5:554/live";
  camera_from_json(body, issues, &without);
  EXPECT_EQ(paths_of(issues), std::set<std::string>{"url"});
}

TEST(CameraJson, UnknownKeysAndWrongTypesNameTheField) {
  std::vector<ConfigIssue> issues;
  const json body = json::parse(R"({"name": "c", "url": "rtsp://h/x", "fps": 5, "enabled": "yes",
      "zones": [{"name": "z", "points": [[0, 0], [1, 0], "x"]}, {"name": "w", "points": [[0, 0]]}],
      "events": {"clases": ["person"]}, "classes": ["person", 3], "tiling": {"mode": 640}})");
  camera_from_json(body, issues);
  EXPECT_EQ(paths_of(issues),
            (std::set<std::string>{"fps", "enabled", "zones[0].points[2]", "zones[1].points", "events.clases",
                                   "classes[1]", "tiling.mode"}))
      << describe(issues);
  for (const ConfigIssue& issue : issues) {
    if (issue.path == "fps") {
      EXPECT_THAT(issue.message, HasSubstr("unknown key; did you mean 'fps_limit'?"));
    } else if (issue.path == "enabled") {
      EXPECT_EQ(issue.message, "expected a boolean (true or false), got a string");
    } else if (issue.path == "tiling.mode") {
      EXPECT_EQ(issue.message, "expected a string, got a number");
    }
  }
}

TEST(CameraJson, NameAndUrlAreRequiredAndOtherKeysDefault) {
  std::vector<ConfigIssue> issues;
  camera_from_json(json::object(), issues);
  EXPECT_EQ(paths_of(issues), (std::set<std::string>{"name", "url"})) << describe(issues);

  issues.clear();
  const CameraConfig camera = camera_from_json(json{{"name", "c"}, {"url", "/v.mp4"}}, issues);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  CameraConfig expected;
  expected.name = "c";
  expected.url = "/v.mp4";
  EXPECT_EQ(camera, expected);

  issues.clear();
  camera_from_json(json::array({1, 2}), issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_THAT(issues[0].message, HasSubstr("expected a JSON object"));

  // Integers may come as 3.0 from JavaScript; 2.5 is not an integer.
  issues.clear();
  camera_from_json(
      json::parse(R"({"name": "c", "url": "/v", "events": {"confirm_n": 2.0, "confirm_m": 2.5}})"), issues);
  EXPECT_EQ(paths_of(issues), std::set<std::string>{"events.confirm_m"}) << describe(issues);
}

TEST(CameraJson, ValidateCameraChecksClassesAgainstTheModel) {
  CameraConfig camera = sample_camera();
  camera.classes = {"person", "unicorn"};
  camera.class_thresholds = {{"dragon", 0.5}};
  camera.events.classes = {"griffin"};
  std::vector<ConfigIssue> issues;
  validate_camera(camera, "cameras[4]", {"person", "car"}, issues);
  EXPECT_EQ(paths_of(issues),
            (std::set<std::string>{"cameras[4].classes[1]", "cameras[4].class_thresholds.dragon",
                                   "cameras[4].events.classes[0]"}))
      << describe(issues);
  issues.clear();
  validate_camera(camera, "cameras[4]", {}, issues);
  EXPECT_TRUE(issues.empty()) << "no model classes: names are not checked" << describe(issues);
}

} // namespace
} // namespace tilescope::config
