// The camera and tiling sections: one reader for the YAML file and the HTTP API, and
// the camera JSON the API shows and the store keeps (keys in /work/notes/serve_api.md).
#include "camera_reader.h"
#include "tilescope/config/config.h"
#include "tilescope/core/redact.h"

#include <array>
#include <string_view>

namespace tilescope::config {

using nlohmann::json;

namespace detail {

namespace {

constexpr std::array<std::string_view, 7> kTilingKeys{
    "mode", "overlap", "min_object_px", "budget_ms", "full_frame", "motion_gating", "sweep_every"};
constexpr std::array<std::string_view, 13> kCameraKeys{
    "name",  "url",     "enabled",         "fps_limit",        "rtsp_transport",
    "loop",  "classes", "score_threshold", "class_thresholds", "tiling",
    "zones", "masks",   "events"};
constexpr std::array<std::string_view, 2> kZoneKeys{"name", "points"};
constexpr std::array<std::string_view, 4> kEventKeys{"classes", "min_score", "confirm_n", "confirm_m"};

EventSettings read_events(ValueReader& reader, const json& value, const std::string& path) {
  EventSettings events;
  if (!reader.object(value, path, kEventKeys)) return events;
  reader.field(value, path, "classes", events.classes);
  reader.field(value, path, "min_score", events.min_score);
  reader.field(value, path, "confirm_n", events.confirm_n);
  reader.field(value, path, "confirm_m", events.confirm_m);
  return events;
}

std::vector<Zone> read_zones(ValueReader& reader, const json& value, const std::string& path) {
  std::vector<Zone> zones;
  if (!reader.array(value, path)) return zones;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string zone_path = index_path(path, i);
    Zone zone;
    if (reader.object(value[i], zone_path, kZoneKeys)) {
      reader.field(value[i], zone_path, "name", zone.name);
      const auto points = value[i].find("points");
      if (points != value[i].end()) reader.as_polygon(*points, child_path(zone_path, "points"), zone.points);
    }
    // Kept even when malformed, so the indices of later zones stay those of the document.
    zones.push_back(std::move(zone));
  }
  return zones;
}

std::vector<Polygon> read_masks(ValueReader& reader, const json& value, const std::string& path) {
  std::vector<Polygon> masks;
  if (!reader.array(value, path)) return masks;
  for (std::size_t i = 0; i < value.size(); ++i) {
    Polygon polygon;
    reader.as_polygon(value[i], index_path(path, i), polygon);
    masks.push_back(std::move(polygon));
  }
  return masks;
}

json polygon_to_json(const Polygon& polygon) {
  json points = json::array();
  for (const Point& p : polygon)
    points.push_back(json::array({p.x, p.y}));
  return points;
}

// The parts of "scheme://user:password@host:port/path" the "***" rule compares.
struct UrlAuthority {
  std::string scheme, user, host_port;
  std::optional<std::string> password;
  std::size_t password_begin = 0, password_end = 0; // offsets of the password in the URL
};

std::optional<UrlAuthority> split_authority(const std::string& url) {
  // The same reading of the URL as redact_url, so what it hid is what is restored.
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  UrlAuthority parts;
  parts.scheme = url.substr(0, scheme_end);
  const auto begin = scheme_end + 3;
  auto end = url.find_first_of("/?#", begin);
  if (end == std::string::npos) end = url.size();
  const auto at = url.rfind('@', end);
  if (at == std::string::npos || at < begin) {
    parts.host_port = url.substr(begin, end - begin);
    return parts;
  }
  const auto colon = url.find(':', begin);
  if (colon == std::string::npos || colon > at) {
    parts.user = url.substr(begin, at - begin);
  } else {
    parts.user = url.substr(begin, colon - begin);
    parts.password = url.substr(colon + 1, at - colon - 1);
    parts.password_begin = colon + 1;
    parts.password_end = at;
  }
  parts.host_port = url.substr(at + 1, end - at - 1);
  return parts;
}

// An update may send back the redacted URL it read: "***" then means "keep the password".
// Only for the same scheme, user, host and port: pointing the camera elsewhere must not
// send the stored password to a new host.
void keep_previous_password(std::string& url, const CameraConfig& previous,
                            std::vector<ConfigIssue>& issues) {
  const auto next = split_authority(url);
  if (!next || next->password != "***") return;
  const auto before = split_authority(previous.url);
  if (!before || !before->password) {
    issues.push_back({"url", "password '***' means 'keep the current one', but the camera has no password; "
                             "send the password"});
    return;
  }
  if (before->scheme != next->scheme || before->user != next->user || before->host_port != next->host_port) {
    issues.push_back({"url",
                      "password '***' keeps the current password only when scheme, user, host and port "
                      "are unchanged; send the password for the new address"});
    return;
  }
  url.replace(next->password_begin, next->password_end - next->password_begin, *before->password);
}

} // namespace

TilingSettings read_tiling(ValueReader& reader, const json& value, const std::string& path,
                           const TilingSettings& base) {
  TilingSettings tiling = base;
  if (!reader.object(value, path, kTilingKeys)) return tiling;
  reader.field(value, path, "mode", tiling.mode);
  reader.field(value, path, "overlap", tiling.overlap);
  reader.field(value, path, "min_object_px", tiling.min_object_px);
  reader.field(value, path, "budget_ms", tiling.budget_ms);
  reader.field(value, path, "full_frame", tiling.full_frame);
  reader.field(value, path, "motion_gating", tiling.motion_gating);
  reader.field(value, path, "sweep_every", tiling.sweep_every);
  return tiling;
}

CameraConfig read_camera(ValueReader& reader, const json& value, const std::string& path,
                         const TilingSettings& tiling_base, Keys ignored) {
  CameraConfig camera;
  if (!reader.object(value, path, kCameraKeys, ignored)) return camera;
  reader.field(value, path, "name", camera.name);
  reader.field(value, path, "url", camera.url);
  reader.field(value, path, "enabled", camera.enabled);
  reader.field(value, path, "fps_limit", camera.fps_limit);
  reader.field(value, path, "rtsp_transport", camera.rtsp_transport);
  reader.field(value, path, "loop", camera.loop);
  reader.field(value, path, "classes", camera.classes);
  reader.field(value, path, "score_threshold", camera.score_threshold);
  reader.field(value, path, "class_thresholds", camera.class_thresholds);
  if (const auto it = value.find("tiling"); it != value.end() && !it->is_null()) {
    camera.tiling = read_tiling(reader, *it, child_path(path, "tiling"), tiling_base);
  }
  // null (a YAML key with nothing under it): empty lists, default events.
  if (const auto it = value.find("zones"); it != value.end() && !it->is_null()) {
    camera.zones = read_zones(reader, *it, child_path(path, "zones"));
  }
  if (const auto it = value.find("masks"); it != value.end() && !it->is_null()) {
    camera.masks = read_masks(reader, *it, child_path(path, "masks"));
  }
  if (const auto it = value.find("events"); it != value.end() && !it->is_null()) {
    camera.events = read_events(reader, *it, child_path(path, "events"));
  }
  return camera;
}

} // namespace detail

json tiling_to_json(const TilingSettings& tiling) {
  return json{{"mode", tiling.mode},
              {"overlap", tiling.overlap},
              {"min_object_px", tiling.min_object_px},
              {"budget_ms", tiling.budget_ms},
              {"full_frame", tiling.full_frame ? json(*tiling.full_frame) : json(nullptr)},
              {"motion_gating", tiling.motion_gating},
              {"sweep_every", tiling.sweep_every}};
}

json camera_to_json(const CameraConfig& camera, bool redact_password) {
  json zones = json::array();
  for (const Zone& zone : camera.zones)
    zones.push_back({{"name", zone.name}, {"points", detail::polygon_to_json(zone.points)}});
  json masks = json::array();
  for (const Polygon& mask : camera.masks)
    masks.push_back(detail::polygon_to_json(mask));
  json class_thresholds = json::object();
  for (const auto& [name, threshold] : camera.class_thresholds)
    class_thresholds[name] = threshold;
  return json{{"name", camera.name},
              {"url", redact_password ? redact_url(camera.url) : camera.url},
              {"enabled", camera.enabled},
              {"fps_limit", camera.fps_limit},
              {"rtsp_transport", camera.rtsp_transport},
              {"loop", camera.loop},
              {"classes", camera.classes},
              {"score_threshold", camera.score_threshold},
              {"class_thresholds", std::move(class_thresholds)},
              {"tiling", camera.tiling ? tiling_to_json(*camera.tiling) : json(nullptr)},
              {"zones", std::move(zones)},
              {"masks", std::move(masks)},
              {"events",
               {{"classes", camera.events.classes},
                {"min_score", camera.events.min_score},
                {"confirm_n", camera.events.confirm_n},
                {"confirm_m", camera.events.confirm_m}}}};
}

CameraConfig camera_from_json(const json& body, std::vector<ConfigIssue>& issues,
                              const CameraConfig* previous) {
  // A client may send back the "id" and "status" it read with the camera.
  static constexpr std::array<std::string_view, 2> kIgnored{"id", "status"};
  if (!body.is_object()) {
    issues.push_back({"", "expected a JSON object (a camera)"});
    return {};
  }
  detail::ValueReader reader(detail::Dialect::kJson, issues);
  CameraConfig camera = detail::read_camera(reader, body, "", TilingSettings{}, kIgnored);
  if (previous != nullptr) detail::keep_previous_password(camera.url, *previous, issues);
  validate_camera(camera, "", {}, issues);
  return camera;
}

} // namespace tilescope::config
