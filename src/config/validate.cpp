#include "validate.h"

#include "value_reader.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

namespace tilescope::config {

using detail::child_path;
using detail::index_path;

namespace {

using Issues = std::vector<ConfigIssue>;

// Names appear in URLs, MQTT topics and file names: nothing that needs escaping.
constexpr std::size_t kMaxNameLength = 64;

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

void check_name(const std::string& name, const std::string& path, const char* what, Issues& issues) {
  if (name.empty()) {
    issues.push_back({path, std::string("required: the ") + what + "'s name (letters, digits, '_' and '-')"});
    return;
  }
  const bool plain = std::all_of(name.begin(), name.end(),
                                 [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
  if (!plain) {
    issues.push_back({path, "'" + name +
                                "' may hold only letters, digits, '_' and '-' (it is used in URLs and "
                                "MQTT topics)"});
  } else if (name.size() > kMaxNameLength) {
    issues.push_back({path, "longer than " + std::to_string(kMaxNameLength) + " characters"});
  }
}

void check_range(double value, double low, double high, const std::string& path, Issues& issues,
                 const char* unit = "") {
  if (value >= low && value <= high) return;
  issues.push_back({path, number_text(value) + " is outside [" + number_text(low) + ", " + number_text(high) +
                              "]" + unit});
}

void check_at_least(double value, double low, const std::string& path, Issues& issues) {
  if (value < low) issues.push_back({path, number_text(value) + " must be at least " + number_text(low)});
}

// What FFmpeg opens for a camera. Anything without "://" is a file or device path; it
// is not required to exist yet (a camera reconnects until it does).
void check_url(const std::string& url, const std::string& path, Issues& issues) {
  static const std::set<std::string> kNetworkSchemes{"rtsp",  "rtsps", "rtmp", "rtmps", "http",
                                                     "https", "udp",   "tcp",  "srt"};
  if (url.empty()) {
    issues.push_back(
        {path, "required: rtsp://, rtsps://, http(s)://, udp://, a file path or a device (/dev/video0)"});
    return;
  }
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    // A path, unless it is a URL with a typo: "rtsp:/cam", "rtsp//cam".
    const auto cut = url.find_first_of(":/");
    if (cut != std::string::npos && kNetworkSchemes.count(url.substr(0, cut)) != 0 &&
        (url[cut] == ':' || url.compare(cut, 2, "//") == 0)) {
      std::string message = url.substr(0, cut); // appended, not "'" + ...: GCC 12 -Wrestrict false positive
      message.insert(0, 1, '\'');
      message += "' must be followed by '://' (e.g. rtsp://host/stream)";
      issues.push_back({path, std::move(message)});
    }
    return;
  }
  std::string scheme = url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (scheme.empty()) {
    issues.push_back({path, "missing scheme before '://'"});
    return;
  }
  if (url.find_first_of(" \t\r\n") != std::string::npos) {
    issues.push_back({path, "contains whitespace (percent-encode it, e.g. %20)"});
  }
  if (scheme == "file") {
    if (url.size() == scheme_end + 3) issues.push_back({path, "file:// without a path"});
    return;
  }
  if (kNetworkSchemes.count(scheme) == 0) {
    issues.push_back(
        {path, "unsupported scheme '" + scheme +
                   "'; expected rtsp, rtsps, rtmp, rtmps, http, https, udp, tcp, srt, file, a file "
                   "path or a device"});
    return;
  }
  const auto begin = scheme_end + 3;
  auto end = url.find_first_of("/?#", begin);
  if (end == std::string::npos) end = url.size();
  const auto at = url.rfind('@', end);
  const auto host_begin = (at == std::string::npos || at < begin) ? begin : at + 1;
  std::string host_port = url.substr(host_begin, end - host_begin);
  // [v6]:port keeps its colons inside the brackets.
  const auto bracket = host_port.rfind(']');
  const auto colon = host_port.find(':', bracket == std::string::npos ? 0 : bracket);
  const std::string host = host_port.substr(0, colon);
  if (host.empty() && scheme != "udp" && scheme != "tcp" && scheme != "srt") {
    issues.push_back({path, "missing host after '" + scheme + "://'"});
  }
  if (colon != std::string::npos) {
    const std::string port = host_port.substr(colon + 1);
    const bool digits =
        !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); });
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
      issues.push_back({path, "port '" + port + "' is not a number in 1..65535"});
    }
  }
}

void check_polygon(const Polygon& polygon, const std::string& path, Issues& issues) {
  if (polygon.size() < 3) {
    issues.push_back({path, "a polygon needs at least 3 points, got " + std::to_string(polygon.size())});
  }
  bool complete = true;
  for (std::size_t i = 0; i < polygon.size(); ++i) {
    const Point& p = polygon[i];
    if (std::isnan(p.x) || std::isnan(p.y)) { // malformed: reported by the reader
      complete = false;
      continue;
    }
    for (const auto& [value, axis] : {std::pair{p.x, "x"}, std::pair{p.y, "y"}}) {
      if (value < 0 || value > 1) {
        issues.push_back(
            {index_path(path, i),
             std::string(axis) + " = " + number_text(value) +
                 " is outside [0, 1] (normalised frame coordinates: 0 is the left or top edge, 1 the "
                 "right or bottom one)"});
        complete = false;
      }
    }
  }
  if (!complete || polygon.size() < 3) return;
  double twice_area = 0; // shoelace
  for (std::size_t i = 0; i < polygon.size(); ++i) {
    const Point& a = polygon[i];
    const Point& b = polygon[(i + 1) % polygon.size()];
    twice_area += a.x * b.y - b.x * a.y;
  }
  if (std::abs(twice_area) < 1e-9)
    issues.push_back({path, "the polygon has no area (its points are on a line)"});
}

void check_classes(const std::vector<std::string>& classes, const std::vector<std::string>& model_classes,
                   const std::string& path, Issues& issues) {
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (classes[i].empty()) {
      issues.push_back({index_path(path, i), "empty class name"});
    } else if (!model_classes.empty() &&
               std::find(model_classes.begin(), model_classes.end(), classes[i]) == model_classes.end()) {
      issues.push_back({index_path(path, i), "the model has no class '" + classes[i] + "'"});
    }
  }
}

bool is_loopback(const std::string& bind) {
  return bind == "localhost" || bind == "::1" || bind == "[::1]" || bind.rfind("127.", 0) == 0;
}

} // namespace

namespace detail {

bool is_tiling_mode(const std::string& mode) {
  if (mode == "off" || mode == "adaptive" || mode == "sahi-auto") return true;
  const auto positive = [](const std::string& text) {
    return !text.empty() && text.size() <= 6 &&
           std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }) &&
           std::stoi(text) > 0;
  };
  const auto x = mode.find('x');
  return x == std::string::npos ? positive(mode)
                                : positive(mode.substr(0, x)) && positive(mode.substr(x + 1));
}

void validate_tiling(const TilingSettings& tiling, const std::string& path, Issues& issues) {
  if (!is_tiling_mode(tiling.mode)) {
    issues.push_back(
        {child_path(path, "mode"), "'" + tiling.mode +
                                       "': expected off, adaptive, sahi-auto or a slice size WxH "
                                       "(e.g. 640x640)"});
  }
  // SAHI's overlap ratio: a slice may not overlap its neighbour entirely.
  if (!(tiling.overlap >= 0 && tiling.overlap < 1)) {
    issues.push_back({child_path(path, "overlap"), number_text(tiling.overlap) + " is outside [0, 1)"});
  }
  check_at_least(tiling.min_object_px, 0, child_path(path, "min_object_px"), issues);
  check_at_least(tiling.budget_ms, 0, child_path(path, "budget_ms"), issues);
  check_at_least(tiling.sweep_every, 1, child_path(path, "sweep_every"), issues);
}

void validate_config(const Config& config, const std::vector<std::size_t>& skip_cameras, Issues& issues) {
  const ServerConfig& server = config.server;
  if (server.bind.empty())
    issues.push_back({"server.bind", "required: an address such as 127.0.0.1 or 0.0.0.0"});
  check_range(server.port, 1, 65535, "server.port", issues);
  check_range(server.threads, 1, 64, "server.threads", issues);
  if (!(server.max_upload_mb > 0)) {
    issues.push_back({"server.max_upload_mb", number_text(server.max_upload_mb) + " must be greater than 0"});
  }
  for (std::size_t i = 0; i < server.tokens.size(); ++i) {
    if (server.tokens[i].empty()) issues.push_back({index_path("server.auth.tokens", i), "empty token"});
  }
  if (server.username.empty() != server.password.empty()) {
    issues.push_back({"server.auth", "username and password go together: set both or neither"});
  } else if (!server.bind.empty() && !is_loopback(server.bind) && server.tokens.empty() &&
             server.username.empty()) {
    issues.push_back({"server.auth", "required when server.bind is '" + server.bind +
                                         "' (not a loopback address): set server.auth.tokens or "
                                         "server.auth.username and password, or bind 127.0.0.1"});
  }

  static const std::set<std::string> kPrecisions{"fp32", "bf16", "int8"};
  if (kPrecisions.count(config.model.precision) == 0) {
    issues.push_back({"model.precision", "'" + config.model.precision + "': expected fp32, bf16 or int8"});
  }
  check_at_least(config.model.threads, 0, "model.threads", issues);

  if (config.storage.path.empty()) issues.push_back({"storage.path", "required: a folder for the database"});
  check_at_least(config.storage.retention_days, 0, "storage.retention_days", issues);
  check_at_least(config.storage.max_gb, 0, "storage.max_gb", issues);

  validate_tiling(config.tiling, "tiling", issues);

  std::map<std::string, std::size_t> first_index;
  for (std::size_t i = 0; i < config.cameras.size(); ++i) {
    if (std::find(skip_cameras.begin(), skip_cameras.end(), i) != skip_cameras.end()) continue;
    const std::string path = index_path("cameras", i);
    validate_camera(config.cameras[i], path, {}, issues);
    const std::string& name = config.cameras[i].name;
    if (name.empty()) continue;
    const auto [it, inserted] = first_index.emplace(name, i);
    if (!inserted) {
      issues.push_back({child_path(path, "name"), "duplicate camera name '" + name + "' (also " +
                                                      index_path("cameras", it->second) + ")"});
    }
  }
}

} // namespace detail

void validate_camera(const CameraConfig& camera, const std::string& path_prefix,
                     const std::vector<std::string>& model_classes, std::vector<ConfigIssue>& issues) {
  const auto at = [&](std::string_view key) { return child_path(path_prefix, key); };
  check_name(camera.name, at("name"), "camera", issues);
  check_url(camera.url, at("url"), issues);
  check_at_least(camera.fps_limit, 0, at("fps_limit"), issues);
  if (camera.rtsp_transport != "tcp" && camera.rtsp_transport != "udp") {
    issues.push_back({at("rtsp_transport"), "'" + camera.rtsp_transport + "': expected tcp or udp"});
  }
  check_classes(camera.classes, model_classes, at("classes"), issues);
  check_range(camera.score_threshold, 0, 1, at("score_threshold"), issues);
  for (const auto& [name, threshold] : camera.class_thresholds) {
    const std::string path = child_path(at("class_thresholds"), name);
    if (!model_classes.empty() &&
        std::find(model_classes.begin(), model_classes.end(), name) == model_classes.end()) {
      issues.push_back({path, "the model has no class '" + name + "'"});
    }
    check_range(threshold, 0, 1, path, issues);
  }
  if (camera.tiling) detail::validate_tiling(*camera.tiling, at("tiling"), issues);

  std::map<std::string, std::size_t> zone_index;
  for (std::size_t i = 0; i < camera.zones.size(); ++i) {
    const std::string path = index_path(at("zones"), i);
    const Zone& zone = camera.zones[i];
    check_name(zone.name, child_path(path, "name"), "zone", issues);
    if (!zone.name.empty()) {
      const auto [it, inserted] = zone_index.emplace(zone.name, i);
      if (!inserted) {
        issues.push_back({child_path(path, "name"), "duplicate zone name '" + zone.name + "' (also " +
                                                        index_path(at("zones"), it->second) + ")"});
      }
    }
    check_polygon(zone.points, child_path(path, "points"), issues);
  }
  for (std::size_t i = 0; i < camera.masks.size(); ++i)
    check_polygon(camera.masks[i], index_path(at("masks"), i), issues);

  const EventSettings& events = camera.events;
  check_classes(events.classes, model_classes, at("events.classes"), issues);
  check_range(events.min_score, 0, 1, at("events.min_score"), issues);
  // N of the last M processed frames; M bounds the per-track history kept.
  check_range(events.confirm_m, 1, 100, at("events.confirm_m"), issues);
  if (events.confirm_n < 1) {
    check_at_least(events.confirm_n, 1, at("events.confirm_n"), issues);
  } else if (events.confirm_n > events.confirm_m) {
    issues.push_back({at("events.confirm_n"), std::to_string(events.confirm_n) +
                                                  " exceeds events.confirm_m (" +
                                                  std::to_string(events.confirm_m) +
                                                  "): an object must be seen in N of the last M frames"});
  }
}

} // namespace tilescope::config
