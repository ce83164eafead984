// The configuration of `tilescope serve`: one YAML file (server, model, storage,
// tiling defaults, cameras), validated as a whole before anything starts.
//
//   config::Config c = config::load_config("tilescope.yml");   // throws ConfigError
//   for (const ConfigIssue& i : error.issues()) ...             // "cameras[2].url: ..."
//
// Every problem is reported with its path in the document (`cameras[2].url`,
// `server.port`), all of them at once, and nothing is started on an invalid file.
// The same validation serves the HTTP API: a camera posted as JSON is checked by
// camera_from_json with paths relative to the body (`url`, `zones[0].points`).
//
// Polygons (zones, masks) are in normalised frame coordinates: x and y in [0, 1],
// (0, 0) the top-left corner, so they survive a change of stream resolution.
#pragma once

#include "tilescope/core/error.h"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tilescope::config {

struct Point {
  double x = 0, y = 0; // normalised [0, 1]
  friend bool operator==(const Point&, const Point&) = default;
};
using Polygon = std::vector<Point>; // >= 3 points, implicitly closed

struct Zone {
  std::string name; // unique within a camera; [A-Za-z0-9_-]+
  Polygon points;
  friend bool operator==(const Zone&, const Zone&) = default;
};

// Sliced inference for a camera (defaults in Config::tiling, per camera override).
struct TilingSettings {
  std::string mode = "adaptive"; // off | adaptive | sahi-auto | WxH (tiling::parse_slice_mode)
  double overlap = 0.2;          // fixed WxH only
  int min_object_px = 0;         // adaptive: smallest object wanted (0: planner default 16)
  double budget_ms = 0;          // adaptive: per-frame budget (0: none)
  std::optional<bool> full_frame;
  // Live gating: tiles only where motion or tracked objects are; every view of the plan
  // still runs at least once every `sweep_every` processed frames, in rotation (so still
  // objects are found without a whole-plan frame every K frames).
  bool motion_gating = true;
  int sweep_every = 10;
  friend bool operator==(const TilingSettings&, const TilingSettings&) = default;
};

struct EventSettings {
  std::vector<std::string> classes{"person"}; // classes that make events; empty: none
  double min_score = 0.5;                     // a track's best score must reach this
  int confirm_n = 3;                          // seen in N of the last M processed frames
  int confirm_m = 5;
  friend bool operator==(const EventSettings&, const EventSettings&) = default;
};

struct CameraConfig {
  std::string name; // unique; [A-Za-z0-9_-]+, used in URLs and MQTT topics
  std::string url;  // rtsp://, rtsps://, http(s)://, file path, /dev/videoN (may hold user:password@)
  bool enabled = true;
  double fps_limit = 5;                           // processed frames per second (0: as fast as possible)
  std::string rtsp_transport = "tcp";             // tcp | udp
  bool loop = true;                               // files: start over at the end
  std::vector<std::string> classes;               // classes to detect; empty: all the model has
  double score_threshold = 0.35;                  // detection confidence
  std::map<std::string, double> class_thresholds; // per class override of score_threshold
  std::optional<TilingSettings> tiling;           // unset: Config::tiling
  std::vector<Zone> zones;
  std::vector<Polygon> masks; // areas excluded from detection
  EventSettings events;
  friend bool operator==(const CameraConfig&, const CameraConfig&) = default;
};

struct ServerConfig {
  std::string bind = "127.0.0.1";
  int port = 8080;
  // Auth: required whenever bind is not a loopback address. Bearer tokens for the
  // API; username + password for the UI login (which hands out a session token).
  std::vector<std::string> tokens;
  std::string username;
  std::string password;
  double max_upload_mb = 64;
  int threads = 2; // HTTP I/O threads
  friend bool operator==(const ServerConfig&, const ServerConfig&) = default;
};

struct ModelConfig {
  std::string path;               // "" : the default model (NanoDet-m from the cache)
  std::string precision = "fp32"; // fp32 | bf16 | int8 (int8: a quantized QDQ model)
  std::string labels;             // optional labels file
  int threads = 0;                // engine threads (0: all cores)
  friend bool operator==(const ModelConfig&, const ModelConfig&) = default;
};

struct StorageConfig {
  std::string path = "tilescope-data"; // database + snapshots; relative to the config file
  double retention_days = 14;          // events older than this are deleted (0: keep)
  double max_gb = 10;                  // snapshots + database above this: oldest events go (0: no limit)
  friend bool operator==(const StorageConfig&, const StorageConfig&) = default;
};

struct Config {
  ServerConfig server;
  ModelConfig model;
  StorageConfig storage;
  TilingSettings tiling;
  std::vector<CameraConfig> cameras;
  // The `alerts:` section as JSON, validated by the alerts module (issue #6), which the
  // config module does not know; null when absent.
  nlohmann::json alerts;
  std::string source_path; // the file it came from ("" when built in code)
  friend bool operator==(const Config&, const Config&) = default;
};

struct ConfigIssue {
  std::string path;    // "cameras[2].url", "server.port"; "" for the document itself
  std::string message; // what is wrong and what is expected
};

// All the problems of one document. what() lists them, one per line, "path: message".
class ConfigError : public Error {
public:
  ConfigError(std::string source, std::vector<ConfigIssue> issues);
  const std::vector<ConfigIssue>& issues() const { return issues_; }

private:
  std::vector<ConfigIssue> issues_;
};

// Parses and validates YAML text. `source` names it in messages (a path). Relative
// storage/model paths are resolved against `base_dir` ("" : left as they are).
// Throws ConfigError with every issue (syntax errors carry line:column).
Config parse_config(const std::string& yaml_text, const std::string& source,
                    const std::string& base_dir = "");
// Reads and parses a file (base_dir = its folder). Throws ConfigError.
Config load_config(const std::string& path);
// The commented default written by `tilescope serve` when there is no config: one
// demo camera "demo" looping `demo_video` with the default model.
std::string default_config_yaml(const std::string& demo_video);
// A config back to YAML (no comments); camera passwords kept (it is the user's file).
std::string to_yaml(const Config& config);

// Checks one camera; issues get `path_prefix` ("cameras[2]" -> "cameras[2].url").
// `model_classes` (when not empty) lets class names be checked.
void validate_camera(const CameraConfig& camera, const std::string& path_prefix,
                     const std::vector<std::string>& model_classes, std::vector<ConfigIssue>& issues);

// JSON for the API and the store. camera_to_json(c, true) redacts the URL's password
// (redact_url) and is what responses show; the store keeps camera_to_json(c, false).
nlohmann::json camera_to_json(const CameraConfig& camera, bool redact_password);
// Builds a camera from JSON; unknown keys and wrong types are issues naming the
// field. Missing keys take the defaults above (url and name are required). When
// `previous` is given (an update), a URL whose password is "***" keeps the previous
// password, so a client can send back what it read.
CameraConfig camera_from_json(const nlohmann::json& body, std::vector<ConfigIssue>& issues,
                              const CameraConfig* previous = nullptr);
nlohmann::json tiling_to_json(const TilingSettings& tiling);

} // namespace tilescope::config
