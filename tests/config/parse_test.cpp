// parse_config / load_config: the YAML file, its validation (every issue, with its path)
// and environment variables.
#include "tilescope/config/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <set>

namespace tilescope::config {

// gtest shows a Config as the YAML it writes.
inline void PrintTo(const Config& config, std::ostream* out) { *out << "\n" << to_yaml(config); }

namespace {

using ::testing::HasSubstr;

// The issues parse_config reports for `yaml` (fails the test when it parses).
std::vector<ConfigIssue> issues_of(const std::string& yaml) {
  try {
    parse_config(yaml, "test.yml");
  } catch (const ConfigError& e) {
    return e.issues();
  }
  ADD_FAILURE() << "parsed without issues:\n" << yaml;
  return {};
}

std::set<std::string> paths_of(const std::vector<ConfigIssue>& issues) {
  std::set<std::string> paths;
  for (const ConfigIssue& issue : issues)
    paths.insert(issue.path);
  return paths;
}

std::string describe(const std::vector<ConfigIssue>& issues) {
  std::string text;
  for (const ConfigIssue& issue : issues)
    text += "\n  " + issue.path + ": " + issue.message;
  return text;
}

const ConfigIssue* find_issue(const std::vector<ConfigIssue>& issues, const std::string& path) {
  for (const ConfigIssue& issue : issues) {
    if (issue.path == path) return &issue;
  }
  return nullptr;
}

TEST(ConfigParse, EveryProblemOfAnInvalidFileIsReportedWithItsPath) {
  const std::string yaml = R"(
server:
  port: 70000
  bind: 0.0.0.0
  threds: 4
model:
  precision: fp16
storage:
  retention_days: -1
tiling:
  mode: 640y640
  overlap: 1.5
cameras:
  - name: front door
    url: ftp://x/y
    fps_limit: -2
    rtsp_transport: http
    score_threshold: 2
    zones:
      - name: a
        points: [[0, 0], [1, 0], [1, 1], [2, 1]]
      - name: b
        points: [[0, 0], [1, 0]]
      - name: a
        points: [[0, 0], [1, 0], [0, 1]]
    events:
      confirm_n: 6
      confirm_m: 5
  - name: yard
    url: ""
    enabled: maybe
  - name: yard
    url: rtsp://host/x
    fps_limt: 3
    masks: [[[0, 0], [1, "a"], [0, 1]]]
  - 5
)";
  const auto issues = issues_of(yaml);
  const std::set<std::string> expected{
      "server.port",
      "server.auth",
      "server.threds",
      "model.precision",
      "storage.retention_days",
      "tiling.mode",
      "tiling.overlap",
      "cameras[0].name",
      "cameras[0].url",
      "cameras[0].fps_limit",
      "cameras[0].rtsp_transport",
      "cameras[0].score_threshold",
      "cameras[0].zones[0].points[3]",
      "cameras[0].zones[1].points",
      "cameras[0].zones[2].name",
      "cameras[0].events.confirm_n",
      "cameras[1].url",
      "cameras[1].enabled",
      "cameras[2].name",
      "cameras[2].fps_limt",
      "cameras[2].masks[0][1]",
      "cameras[3]",
  };
  EXPECT_EQ(paths_of(issues), expected) << describe(issues);
  EXPECT_EQ(issues.size(), expected.size()) << "one issue per problem" << describe(issues);

  // The messages say what is wrong and what is expected.
  EXPECT_THAT(find_issue(issues, "server.port")->message, HasSubstr("outside [1, 65535]"));
  EXPECT_THAT(find_issue(issues, "server.threds")->message, HasSubstr("did you mean 'threads'?"));
  EXPECT_THAT(find_issue(issues, "cameras[0].url")->message, HasSubstr("unsupported scheme 'ftp'"));
  EXPECT_THAT(find_issue(issues, "cameras[0].zones[0].points[3]")->message,
              HasSubstr("x = 2 is outside [0, 1]"));
  EXPECT_THAT(find_issue(issues, "cameras[0].zones[1].points")->message,
              HasSubstr("at least 3 points, got 2"));
  EXPECT_THAT(find_issue(issues, "cameras[0].zones[2].name")->message, HasSubstr("also cameras[0].zones[0]"));
  EXPECT_THAT(find_issue(issues, "cameras[1].enabled")->message, HasSubstr("expected a boolean"));
  EXPECT_THAT(find_issue(issues, "cameras[1].enabled")->message, HasSubstr("'maybe'"));
  EXPECT_THAT(find_issue(issues, "cameras[2].name")->message, HasSubstr("duplicate camera name 'yard'"));
  EXPECT_THAT(find_issue(issues, "cameras[3]")->message, HasSubstr("expected a mapping"));
  // In the order of the document, each message with the line of its node.
  EXPECT_EQ(issues.front().path, "server.port");
  EXPECT_EQ(issues.back().path, "cameras[3]");
  EXPECT_THAT(find_issue(issues, "server.port")->message, HasSubstr("(line 3)"));
  EXPECT_THAT(find_issue(issues, "cameras[2].fps_limt")->message, HasSubstr("(line 34)"));
}

TEST(ConfigParse, ErrorTextStartsWithTheSourceAndListsEveryIssue) {
  try {
    parse_config("server:\n  port: 0\n  bind: ''\n", "site/tilescope.yml");
    FAIL() << "accepted an invalid file";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("site/tilescope.yml: 2 problems", 0), 0u) << what;
    EXPECT_THAT(what, HasSubstr("\n  server.port: 0 is outside [1, 65535]"));
    EXPECT_THAT(what, HasSubstr("\n  server.bind: required"));
  }
}

TEST(ConfigParse, SyntaxErrorIsOneIssueWithLineAndColumn) {
  const auto issues = issues_of("server:\n  port: 8080\n  bind: [127.0.0.1\n");
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  EXPECT_EQ(issues[0].path, "");
  EXPECT_THAT(issues[0].message, ::testing::MatchesRegex("[0-9]+:[0-9]+: YAML syntax error: .*"));
}

TEST(ConfigParse, WrongTypesNameTheExpectedType) {
  const auto issues = issues_of(R"(
server:
  port: eighty
  auth: [a, b]
model: fp32
cameras:
  name: x
)");
  EXPECT_THAT(find_issue(issues, "server.port")->message, HasSubstr("expected an integer, got 'eighty'"));
  EXPECT_THAT(find_issue(issues, "server.auth")->message, HasSubstr("expected a mapping, got a list"));
  EXPECT_THAT(find_issue(issues, "model")->message, HasSubstr("expected a mapping, got 'fp32'"));
  EXPECT_THAT(find_issue(issues, "cameras")->message, HasSubstr("expected a list, got a mapping"));
  EXPECT_EQ(issues.size(), 4u) << describe(issues);
}

TEST(ConfigParse, UnknownTopLevelKeyAndDuplicateKeysAreIssues) {
  const auto issues = issues_of("servr:\n  port: 1\nstorage:\n  path: a\n  path: b\n");
  EXPECT_EQ(paths_of(issues), (std::set<std::string>{"servr", "storage.path"})) << describe(issues);
  EXPECT_THAT(find_issue(issues, "servr")->message, HasSubstr("did you mean 'server'?"));
  EXPECT_THAT(find_issue(issues, "storage.path")->message, HasSubstr("duplicate key"));
}

TEST(ConfigParse, EmptyFileGivesTheDefaults) {
  const Config config = parse_config("", "empty.yml");
  Config expected;
  expected.source_path = "empty.yml";
  EXPECT_EQ(config, expected);
  EXPECT_TRUE(config.cameras.empty());
  EXPECT_TRUE(config.alerts.is_null());
}

TEST(ConfigParse, ReadsEveryField) {
  const Config config = parse_config(R"(
server:
  bind: 0.0.0.0
  port: 9000
  auth: {tokens: [t1, "0123"], username: admin, password: 007}
  max_upload_mb: 12.5
  threads: 3
model: {path: /m/best.onnx, precision: bf16, labels: /m/labels.txt, threads: 2}
storage: {path: /data, retention_days: 7, max_gb: 0.5}
tiling: {mode: 640x480, overlap: 0.25, min_object_px: 12, budget_ms: 80, full_frame: false,
         motion_gating: off, sweep_every: 4}
cameras:
  - name: gate-1
    url: rtsp://user:pw@10.0.0.5:554/live
    enabled: no
    fps_limit: 2.5
    rtsp_transport: udp
    loop: false
    classes: [person, car]
    score_threshold: 0.4
    class_thresholds: {person: 0.6}
    tiling: {mode: "off"}
    zones:
      - {name: door, points: [[0.1, 0.1], [0.5, 0.1], [0.5, 0.9]]}
    masks: [[[0, 0], [0.2, 0], [0.2, 0.1]]]
    events: {classes: [person, car], min_score: 0.7, confirm_n: 2, confirm_m: 4}
alerts:
  rules:
    - {name: r1, cooldown_s: 60, enabled: true, note: "60", ratio: 0.5, nothing: ~}
)",
                                     "full.yml");
  EXPECT_EQ(config.server.bind, "0.0.0.0");
  EXPECT_EQ(config.server.port, 9000);
  EXPECT_EQ(config.server.tokens, (std::vector<std::string>{"t1", "0123"}));
  EXPECT_EQ(config.server.username, "admin");
  EXPECT_EQ(config.server.password, "007") << "digits stay the text written";
  EXPECT_EQ(config.server.max_upload_mb, 12.5);
  EXPECT_EQ(config.server.threads, 3);
  EXPECT_EQ(config.model, (ModelConfig{"/m/best.onnx", "bf16", "/m/labels.txt", 2}));
  EXPECT_EQ(config.storage, (StorageConfig{"/data", 7, 0.5}));
  EXPECT_EQ(config.tiling, (TilingSettings{"640x480", 0.25, 12, 80, false, false, 4}));
  ASSERT_EQ(config.cameras.size(), 1u);
  const CameraConfig& camera = config.cameras[0];
  EXPECT_EQ(camera.name, "gate-1");
  EXPECT_EQ(camera.url, "rtsp://user:pw@10.0.0.5:554/live");
  EXPECT_FALSE(camera.enabled);
  EXPECT_EQ(camera.fps_limit, 2.5);
  EXPECT_EQ(camera.rtsp_transport, "udp");
  EXPECT_FALSE(camera.loop);
  EXPECT_EQ(camera.classes, (std::vector<std::string>{"person", "car"}));
  EXPECT_EQ(camera.score_threshold, 0.4);
  EXPECT_EQ(camera.class_thresholds, (std::map<std::string, double>{{"person", 0.6}}));
  // A camera's tiling starts from the file's defaults and overrides what it names.
  TilingSettings camera_tiling = config.tiling;
  camera_tiling.mode = "off";
  EXPECT_EQ(camera.tiling, camera_tiling);
  ASSERT_EQ(camera.zones.size(), 1u);
  EXPECT_EQ(camera.zones[0].name, "door");
  EXPECT_EQ(camera.zones[0].points, (Polygon{{0.1, 0.1}, {0.5, 0.1}, {0.5, 0.9}}));
  EXPECT_EQ(camera.masks, (std::vector<Polygon>{{{0, 0}, {0.2, 0}, {0.2, 0.1}}}));
  EXPECT_EQ(camera.events, (EventSettings{{"person", "car"}, 0.7, 2, 4}));
  // alerts: handed on as typed JSON (YAML core schema), not validated here.
  const nlohmann::json rule = config.alerts["rules"][0];
  EXPECT_EQ(rule["cooldown_s"], 60);
  EXPECT_EQ(rule["enabled"], true);
  EXPECT_EQ(rule["note"], "60");
  EXPECT_EQ(rule["ratio"], 0.5);
  EXPECT_TRUE(rule["nothing"].is_null());
  EXPECT_EQ(config.source_path, "full.yml");
}

TEST(ConfigParse, NonLoopbackBindNeedsAuth) {
  EXPECT_THAT(find_issue(issues_of("server: {bind: 0.0.0.0}"), "server.auth")->message,
              HasSubstr("not a loopback address"));
  EXPECT_NO_THROW(parse_config("server: {bind: 0.0.0.0, auth: {tokens: [abc]}}", "t"));
  EXPECT_NO_THROW(parse_config("server: {bind: 0.0.0.0, auth: {username: u, password: p}}", "t"));
  EXPECT_NO_THROW(parse_config("server: {bind: 127.0.0.2}", "t"));
  EXPECT_NO_THROW(parse_config("server: {bind: localhost}", "t"));
  EXPECT_THAT(find_issue(issues_of("server: {auth: {username: u}}"), "server.auth")->message,
              HasSubstr("go together"));
}

TEST(ConfigParse, CameraUrls) {
  const auto url_issue = [](const std::string& url) -> std::string {
    try {
      parse_config("cameras: [{name: c, url: '" + url + "'}]", "t");
      return "";
    } catch (const ConfigError& e) {
      return e.issues().at(0).path + ": " + e.issues().at(0).message;
    }
  };
  for (const std::string ok : {"rtsp://10.0.0.5/live", "rtsps://u:p@cam:322/s", "http://cam/mjpeg",
                               "https://x/a.m3u8", "udp://@:5000", "/dev/video0",
                               "videos/does-not-exist-yet.mp4", "file:///a.mp4", "rtsp://[::1]:8554/x"}) {
    EXPECT_EQ(url_issue(ok), "") << ok;
  }
  EXPECT_THAT(url_issue("ftp://host/a"), HasSubstr("cameras[0].url: unsupported scheme 'ftp'"));
  EXPECT_THAT(url_issue("rtsp://"), HasSubstr("missing host"));
  EXPECT_THAT(url_issue("rtsp:/cam/live"), HasSubstr("'rtsp' must be followed by '://'"));
  EXPECT_THAT(url_issue("rtsp//cam/live"), HasSubstr("'rtsp' must be followed by '://'"));
  EXPECT_EQ(url_issue("rtsp/cam1.mp4"), "") << "a folder named rtsp";
  EXPECT_THAT(url_issue("rtsp://cam:99999/x"), HasSubstr("port '99999'"));
  EXPECT_THAT(url_issue("rtsp://cam/a b"), HasSubstr("whitespace"));
}

TEST(ConfigParse, RangesAndModes) {
  const auto issues = issues_of(R"(
cameras:
  - name: c
    url: /v.mp4
    class_thresholds: {person: 1.5}
    tiling: {mode: 0x640, sweep_every: 0, min_object_px: -1, budget_ms: -5}
    zones: [{name: "z/1", points: [[0, 0], [0.5, 0.5], [1, 1]]}]
    events: {min_score: -0.1, confirm_n: 0, confirm_m: 101}
)");
  const std::set<std::string> expected{
      "cameras[0].class_thresholds.person", "cameras[0].tiling.mode",      "cameras[0].tiling.sweep_every",
      "cameras[0].tiling.min_object_px",    "cameras[0].tiling.budget_ms", "cameras[0].zones[0].name",
      "cameras[0].zones[0].points",         "cameras[0].events.min_score", "cameras[0].events.confirm_n",
      "cameras[0].events.confirm_m"};
  EXPECT_EQ(paths_of(issues), expected) << describe(issues);
  EXPECT_THAT(find_issue(issues, "cameras[0].zones[0].points")->message, HasSubstr("no area"));
  for (const std::string mode : {"off", "adaptive", "sahi-auto", "640", "640x480"}) {
    EXPECT_NO_THROW(parse_config("tiling: {mode: " + mode + "}", "t")) << mode;
  }
}

TEST(ConfigParse, EnvironmentVariablesAreSubstituted) {
  ::setenv("TILESCOPE_TEST_PASSWORD", "s3cr:et", 1);
  ::setenv("TILESCOPE_TEST_PORT", "8554", 1);
  ::unsetenv("TILESCOPE_TEST_UNSET");
  const Config config = parse_config(R"(
server: {bind: 0.0.0.0, auth: {username: admin, password: "${TILESCOPE_TEST_PASSWORD}"}}
cameras:
  - name: c
    url: rtsp://admin:${TILESCOPE_TEST_PASSWORD}@cam:${TILESCOPE_TEST_PORT}/live
    classes: ["$${NOT_A_VARIABLE}"]
alerts:
  smtp:
    password: "${TILESCOPE_TEST_PASSWORD}"
    port: ${TILESCOPE_TEST_PORT}
)",
                                     "t");
  EXPECT_EQ(config.server.password, "s3cr:et");
  EXPECT_EQ(config.cameras.at(0).url, "rtsp://admin:s3cr:et@cam:8554/live");
  EXPECT_EQ(config.cameras.at(0).classes.at(0), "${NOT_A_VARIABLE}");
  EXPECT_EQ(config.alerts["smtp"]["password"], "s3cr:et");
  EXPECT_EQ(config.alerts["smtp"]["port"], 8554) << "a plain ${...} resolves after substitution";

  const auto issues = issues_of("server: {auth: {tokens: [ok, '${TILESCOPE_TEST_UNSET}']}}\n"
                                "alerts: {x: '${TILESCOPE_TEST_UNSET}'}\n"
                                "model: {path: '${bad name}'}\n");
  EXPECT_EQ(paths_of(issues), (std::set<std::string>{"server.auth.tokens[1]", "alerts.x", "model.path"}))
      << describe(issues);
  EXPECT_THAT(find_issue(issues, "server.auth.tokens[1]")->message,
              HasSubstr("environment variable TILESCOPE_TEST_UNSET is not set"));
  EXPECT_THAT(find_issue(issues, "model.path")->message, HasSubstr("malformed"));
}

TEST(ConfigParse, RelativePathsResolveAgainstTheBaseDir) {
  const Config config = parse_config(
      "storage: {path: data}\nmodel: {path: ../m/best.onnx, labels: /abs/l.txt}\n", "t", "/etc/tilescope");
  EXPECT_EQ(config.storage.path, "/etc/tilescope/data");
  EXPECT_EQ(config.model.path, "/etc/m/best.onnx");
  EXPECT_EQ(config.model.labels, "/abs/l.txt");
  EXPECT_EQ(parse_config("", "t", "/etc/tilescope").model.path, "") << "empty: the default model";
}

TEST(ConfigParse, LoadConfigReadsAFileAndNamesItInErrors) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tilescope-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "tilescope.yml").string();
  std::ofstream(path) << "storage: {path: data}\ncameras: [{name: c, url: v.mp4}]\n";
  const Config config = load_config(path);
  EXPECT_EQ(config.storage.path, (dir / "data").string());
  EXPECT_EQ(config.source_path, path);

  std::ofstream(path) << "server: {port: -1}\n";
  try {
    load_config(path);
    ADD_FAILURE() << "accepted port -1";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ": 1 problem", 0), 0u) << e.what();
  }
  try {
    load_config((dir / "missing.yml").string());
    ADD_FAILURE() << "read a missing file";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing.yml: 1 problem\n  cannot read the file: No such file"));
  }
  std::filesystem::remove_all(dir);
}

TEST(ConfigParse, KeysWithEverythingCommentedOutMeanEmpty) {
  const Config config = parse_config(R"(
server:
cameras:
  - name: c
    url: /v.mp4
    classes:
    zones:
      # - name: door
    masks:
    class_thresholds:
    events:
  - name: d
    url: /v.mp4
    events:
      classes:
)",
                                     "t");
  ASSERT_EQ(config.cameras.size(), 2u);
  CameraConfig expected;
  expected.name = "c";
  expected.url = "/v.mp4";
  EXPECT_EQ(config.cameras[0], expected);
  EXPECT_TRUE(config.cameras[1].events.classes.empty()) << "no event classes: no events";
  EXPECT_EQ(config.server, ServerConfig{});
}

TEST(ConfigParse, MessagesNeverShowSecrets) {
  const auto issues = issues_of(R"(
server:
  auth: {tokens: hunter2-token, password: [x]}
  port: "rtsp://admin:hunter2@cam/live"
cameras:
  - {name: c, url: "rtsp://admin:hunter2${@cam/live"}
)");
  const std::string text = describe(issues);
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_THAT(find_issue(issues, "server.port")->message, HasSubstr("'rtsp://admin:***@cam/live'"));
  EXPECT_EQ(paths_of(issues), (std::set<std::string>{"server.auth.tokens", "server.auth.password",
                                                     "server.port", "cameras[0].url"}))
      << text;
}

TEST(ConfigParse, MultipleDocumentsAreRejected) {
  const auto issues = issues_of("server: {}\n---\nserver: {}\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_THAT(issues[0].message, HasSubstr("one YAML document"));
}

} // namespace
} // namespace tilescope::config
