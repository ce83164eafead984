// to_yaml: a Config back to YAML that parse_config reads to an equal Config. Strings
// that would not read back as strings (true, 5, null, "") are quoted; "${" is written
// "$${" so it is not taken for an environment variable; numbers use the shortest text
// that reads back to the same double.
#include "tilescope/config/config.h"
#include "yaml_tree.h"

#include <charconv>
#include <cmath>

namespace tilescope::config {

using nlohmann::json;

namespace {

std::string escape_env(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "${") == 0) out += '$';
    out += text[i];
  }
  return out;
}

void put_string(YAML::Emitter& out, const std::string& text) {
  const std::string escaped = escape_env(text);
  if (!detail::resolve_plain_scalar(escaped).is_string()) out << YAML::DoubleQuoted;
  out << escaped;
}

void put_number(YAML::Emitter& out, double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, result.ptr);
  // Keep a float a float for the typed `alerts:` section (14.0 must not read back as 14).
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  out << text;
}

void put_int(YAML::Emitter& out, long long value) { out << std::to_string(value); }

void put_bool(YAML::Emitter& out, bool value) { out << (value ? "true" : "false"); }

void put_json(YAML::Emitter& out, const json& value) {
  switch (value.type()) {
  case json::value_t::null: out << YAML::Null; break;
  case json::value_t::boolean: put_bool(out, value.get<bool>()); break;
  case json::value_t::number_integer:
  case json::value_t::number_unsigned: put_int(out, value.get<long long>()); break;
  case json::value_t::number_float: put_number(out, value.get<double>()); break;
  case json::value_t::string: put_string(out, value.get<std::string>()); break;
  case json::value_t::array:
    out << YAML::BeginSeq;
    for (const json& item : value)
      put_json(out, item);
    out << YAML::EndSeq;
    break;
  default:
    out << YAML::BeginMap;
    for (const auto& [key, item] : value.items()) {
      out << YAML::Key;
      put_string(out, key);
      out << YAML::Value;
      put_json(out, item);
    }
    out << YAML::EndMap;
    break;
  }
}

void put_strings(YAML::Emitter& out, const std::vector<std::string>& values) {
  out << YAML::Flow << YAML::BeginSeq;
  for (const std::string& value : values)
    put_string(out, value);
  out << YAML::EndSeq;
}

void put_polygon(YAML::Emitter& out, const Polygon& polygon) {
  out << YAML::Flow << YAML::BeginSeq;
  for (const Point& point : polygon) {
    out << YAML::Flow << YAML::BeginSeq;
    put_number(out, point.x);
    put_number(out, point.y);
    out << YAML::EndSeq;
  }
  out << YAML::EndSeq;
}

// `key: ` then the value the callable writes.
template <typename Put> void entry(YAML::Emitter& out, const char* key, Put&& put) {
  out << YAML::Key << key << YAML::Value;
  put();
}

void put_tiling(YAML::Emitter& out, const TilingSettings& tiling) {
  out << YAML::BeginMap;
  entry(out, "mode", [&] { put_string(out, tiling.mode); });
  entry(out, "overlap", [&] { put_number(out, tiling.overlap); });
  entry(out, "min_object_px", [&] { put_int(out, tiling.min_object_px); });
  entry(out, "budget_ms", [&] { put_number(out, tiling.budget_ms); });
  // Written even when unset (~): a camera's tiling is read over the file's defaults,
  // which may set it.
  entry(out, "full_frame", [&] {
    if (tiling.full_frame) {
      put_bool(out, *tiling.full_frame);
    } else {
      out << YAML::Null;
    }
  });
  entry(out, "motion_gating", [&] { put_bool(out, tiling.motion_gating); });
  entry(out, "sweep_every", [&] { put_int(out, tiling.sweep_every); });
  out << YAML::EndMap;
}

void put_camera(YAML::Emitter& out, const CameraConfig& camera) {
  out << YAML::BeginMap;
  entry(out, "name", [&] { put_string(out, camera.name); });
  entry(out, "url", [&] { put_string(out, camera.url); });
  entry(out, "enabled", [&] { put_bool(out, camera.enabled); });
  entry(out, "fps_limit", [&] { put_number(out, camera.fps_limit); });
  entry(out, "rtsp_transport", [&] { put_string(out, camera.rtsp_transport); });
  entry(out, "loop", [&] { put_bool(out, camera.loop); });
  entry(out, "classes", [&] { put_strings(out, camera.classes); });
  entry(out, "score_threshold", [&] { put_number(out, camera.score_threshold); });
  entry(out, "class_thresholds", [&] {
    if (camera.class_thresholds.empty()) out << YAML::Flow;
    out << YAML::BeginMap;
    for (const auto& [name, threshold] : camera.class_thresholds) {
      out << YAML::Key;
      put_string(out, name);
      out << YAML::Value;
      put_number(out, threshold);
    }
    out << YAML::EndMap;
  });
  if (camera.tiling) entry(out, "tiling", [&] { put_tiling(out, *camera.tiling); });
  entry(out, "zones", [&] {
    if (camera.zones.empty()) out << YAML::Flow;
    out << YAML::BeginSeq;
    for (const Zone& zone : camera.zones) {
      out << YAML::BeginMap;
      entry(out, "name", [&] { put_string(out, zone.name); });
      entry(out, "points", [&] { put_polygon(out, zone.points); });
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  });
  entry(out, "masks", [&] {
    if (camera.masks.empty()) out << YAML::Flow;
    out << YAML::BeginSeq;
    for (const Polygon& mask : camera.masks)
      put_polygon(out, mask);
    out << YAML::EndSeq;
  });
  entry(out, "events", [&] {
    out << YAML::BeginMap;
    entry(out, "classes", [&] { put_strings(out, camera.events.classes); });
    entry(out, "min_score", [&] { put_number(out, camera.events.min_score); });
    entry(out, "confirm_n", [&] { put_int(out, camera.events.confirm_n); });
    entry(out, "confirm_m", [&] { put_int(out, camera.events.confirm_m); });
    out << YAML::EndMap;
  });
  out << YAML::EndMap;
}

} // namespace

std::string to_yaml(const Config& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  entry(out, "server", [&] {
    const ServerConfig& server = config.server;
    out << YAML::BeginMap;
    entry(out, "bind", [&] { put_string(out, server.bind); });
    entry(out, "port", [&] { put_int(out, server.port); });
    entry(out, "auth", [&] {
      out << YAML::BeginMap;
      entry(out, "tokens", [&] { put_strings(out, server.tokens); });
      entry(out, "username", [&] { put_string(out, server.username); });
      entry(out, "password", [&] { put_string(out, server.password); });
      out << YAML::EndMap;
    });
    entry(out, "max_upload_mb", [&] { put_number(out, server.max_upload_mb); });
    entry(out, "threads", [&] { put_int(out, server.threads); });
    out << YAML::EndMap;
  });
  entry(out, "model", [&] {
    out << YAML::BeginMap;
    entry(out, "path", [&] { put_string(out, config.model.path); });
    entry(out, "precision", [&] { put_string(out, config.model.precision); });
    entry(out, "labels", [&] { put_string(out, config.model.labels); });
    entry(out, "threads", [&] { put_int(out, config.model.threads); });
    out << YAML::EndMap;
  });
  entry(out, "storage", [&] {
    out << YAML::BeginMap;
    entry(out, "path", [&] { put_string(out, config.storage.path); });
    entry(out, "retention_days", [&] { put_number(out, config.storage.retention_days); });
    entry(out, "max_gb", [&] { put_number(out, config.storage.max_gb); });
    out << YAML::EndMap;
  });
  entry(out, "tiling", [&] { put_tiling(out, config.tiling); });
  entry(out, "cameras", [&] {
    if (config.cameras.empty()) out << YAML::Flow;
    out << YAML::BeginSeq;
    for (const CameraConfig& camera : config.cameras)
      put_camera(out, camera);
    out << YAML::EndSeq;
  });
  if (!config.alerts.is_null()) entry(out, "alerts", [&] { put_json(out, config.alerts); });
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

} // namespace tilescope::config
