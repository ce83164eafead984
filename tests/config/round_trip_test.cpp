// default_config_yaml and to_yaml: what they write, parse_config reads back.
#include "tilescope/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tilescope::config {

// gtest shows a Config as the YAML it writes.
inline void PrintTo(const Config& config, std::ostream* out) { *out << "\n" << to_yaml(config); }

namespace {

using ::testing::HasSubstr;

Config parse_or_fail(const std::string& yaml) {
  try {
    return parse_config(yaml, "round-trip.yml");
  } catch (const ConfigError& e) {
    ADD_FAILURE() << e.what() << "\n--- text ---\n" << yaml;
    return {};
  }
}

TEST(ConfigDefault, ParsesToTheDocumentedDefaultsWithOneDemoCamera) {
  const std::string yaml = default_config_yaml("/opt/tilescope/media/vtest.avi");
  const Config config = parse_or_fail(yaml);
  ASSERT_EQ(config.cameras.size(), 1u);
  const CameraConfig& demo = config.cameras[0];
  EXPECT_EQ(demo.name, "demo");
  EXPECT_EQ(demo.url, "/opt/tilescope/media/vtest.avi");
  EXPECT_TRUE(demo.loop);
  EXPECT_EQ(demo.fps_limit, 5);
  EXPECT_EQ(demo.events.classes, std::vector<std::string>{"person"});
  EXPECT_FALSE(demo.tiling.has_value()) << "the demo camera uses the tiling defaults";

  // Apart from the demo camera, the file writes exactly the built-in defaults: the
  // comments cannot drift from the code.
  Config expected;
  expected.source_path = "round-trip.yml";
  CameraConfig expected_demo;
  expected_demo.name = "demo";
  expected_demo.url = "/opt/tilescope/media/vtest.avi";
  expected.cameras.push_back(expected_demo);
  EXPECT_EQ(config, expected);

  // It documents every option.
  for (const char* key : {"bind:",          "port:",           "tokens:",          "username:",
                          "password:",      "max_upload_mb:",  "threads:",         "precision:",
                          "labels:",        "retention_days:", "max_gb:",          "mode:",
                          "overlap:",       "min_object_px:",  "budget_ms:",       "full_frame:",
                          "motion_gating:", "sweep_every:",    "fps_limit:",       "rtsp_transport:",
                          "loop:",          "classes:",        "score_threshold:", "class_thresholds:",
                          "zones:",         "masks:",          "events:",          "min_score:",
                          "confirm_n",      "confirm_m",       "alerts:",          "${"}) {
    EXPECT_THAT(yaml, HasSubstr(key));
  }
}

TEST(ConfigDefault, DemoVideoPathIsQuotedSafely) {
  for (const std::string path : {"C:/videos/a b.mp4", "/tmp/it's \"quoted\" #1.mp4", "/tmp/${HOME}/x.mp4",
                                 "/tmp/back\\slash: yes.mp4", "true"}) {
    EXPECT_EQ(parse_or_fail(default_config_yaml(path)).cameras.at(0).url, path);
  }
}

// A config using every field with values that are awkward in YAML.
Config rich_config() {
  Config config;
  config.server.bind = "0.0.0.0";
  config.server.port = 9443;
  config.server.tokens = {"0123", "true", "tok: with # signs"};
  config.server.username = "null";
  config.server.password = "${NOT_EXPANDED} and $${ too";
  config.server.max_upload_mb = 0.1;
  config.server.threads = 4;
  config.model = ModelConfig{"/models/best.onnx", "int8", "/models/labels.txt", 3};
  config.storage = StorageConfig{"/var/lib/tilescope", 0, 123.456789012345};
  config.tiling = TilingSettings{"640x360", 0.3, 20, 45.5, true, false, 7};
  CameraConfig a;
  a.name = "front_door-1";
  a.url = "rtsp://admin:p@ss:w0rd@10.0.0.5:554/Streaming/Channels/101?transport=tcp";
  a.enabled = false;
  a.fps_limit = 0;
  a.rtsp_transport = "udp";
  a.loop = false;
  a.classes = {"person", "knife"};
  a.score_threshold = 1.0 / 3.0;
  a.class_thresholds = {{"knife", 0.25}, {"person", 0.6}};
  a.tiling = TilingSettings{"sahi-auto", 0.2, 0, 0, std::nullopt, true, 1};
  a.zones = {Zone{"door", {{0.1, 0.2}, {0.3, 0.2}, {0.3, 1}}},
             Zone{"yard", {{0, 0}, {1, 0}, {1, 1}, {0, 1}}}};
  a.masks = {{{0, 0}, {0.25, 0}, {0.25, 0.0625}}};
  a.events = EventSettings{{}, 0.9, 1, 1};
  CameraConfig b;
  b.name = "b";
  b.url = "/dev/video0";
  config.cameras = {a, b};
  config.alerts = nlohmann::json::parse(R"({"rules": [{"name": "r", "cooldown_s": 60, "ratio": 14.0,
      "text": "60", "flag": false, "none": null, "nested": {"list": [1, "two", 3.5]}}]})");
  config.source_path = "round-trip.yml";
  return config;
}

TEST(ConfigToYaml, RoundTripsEveryField) {
  const Config config = rich_config();
  const std::string yaml = to_yaml(config);
  const Config back = parse_or_fail(yaml);
  EXPECT_EQ(back, config) << yaml;
  EXPECT_THAT(yaml, HasSubstr("p@ss:w0rd")) << "the user's own file keeps camera passwords";
  // Twice gives the same text.
  EXPECT_EQ(to_yaml(back), yaml);
}

TEST(ConfigToYaml, RoundTripsTheDefaults) {
  Config config;
  config.source_path = "round-trip.yml";
  EXPECT_EQ(parse_or_fail(to_yaml(config)), config);
  const Config demo = parse_or_fail(default_config_yaml("/v.avi"));
  EXPECT_EQ(parse_or_fail(to_yaml(demo)), demo);
}

} // namespace
} // namespace tilescope::config
