#include "tilescope/alerts/alert_payload.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace tilescope::alerts {

using nlohmann::json;

namespace {

constexpr std::array<const char*, 9> kPlaceholders = {"camera", "label", "score",    "severity", "rule",
                                                      "time",   "zones", "event_id", "type"};

std::tm local_tm(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  return tm;
}

std::string placeholder_value(const std::string& name, const json& payload) {
  const json& event = payload.value("event", json::object());
  if (name == "camera") return event.value("camera", "");
  if (name == "label") return event.value("label", "");
  if (name == "score") {
    char text[16];
    std::snprintf(text, sizeof text, "%.2f", event.value("score", 0.0));
    return text;
  }
  if (name == "severity") return payload.value("rule", json::object()).value("severity", "");
  if (name == "rule") return payload.value("rule", json::object()).value("name", "");
  if (name == "time") return payload.value("time_local", "");
  if (name == "zones") {
    std::string zones;
    for (const json& zone : event.value("zones", json::array()))
      zones += (zones.empty() ? "" : ", ") + zone.get<std::string>();
    return zones.empty() ? "-" : zones;
  }
  if (name == "event_id") return std::to_string(event.value("id", std::int64_t{0}));
  if (name == "type") return payload.value("type", "");
  return "";
}

// Walks a template; `on_placeholder` gets each {name}. False on a syntax error (`error` set).
template <typename OnText, typename OnPlaceholder>
bool walk_template(const std::string& text, OnText on_text, OnPlaceholder on_placeholder,
                   std::string& error) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      on_text(c);
      ++i;
      continue;
    }
    if (c == '}') {
      error = "unmatched } at offset " + std::to_string(i) + " (write }} for a brace)";
      return false;
    }
    if (c != '{') {
      on_text(c);
      continue;
    }
    const auto close = text.find('}', i + 1);
    if (close == std::string::npos) {
      error = "unclosed { at offset " + std::to_string(i) + " (write {{ for a brace)";
      return false;
    }
    if (!on_placeholder(text.substr(i + 1, close - i - 1), error)) return false;
    i = close;
  }
  return true;
}

} // namespace

const char* to_string(EventKind kind) {
  switch (kind) {
  case EventKind::kOpened: return "opened";
  case EventKind::kUpdated: return "updated";
  case EventKind::kClosed: return "closed";
  }
  return "opened";
}

const char* to_string(AlertType type) {
  switch (type) {
  case AlertType::kNew: return "new";
  case AlertType::kEnd: return "end";
  case AlertType::kTest: return "test";
  }
  return "new";
}

json make_payload(AlertType type, const std::string& delivery_id, const Rule& rule,
                  const store::EventRecord& event, bool has_snapshot, const std::string& ui_base_url,
                  std::optional<std::int64_t> frame_ms) {
  const std::int64_t last_ms = event.end_ms.value_or(event.updated_ms);
  const double duration_s = std::max<std::int64_t>(0, last_ms - event.start_ms) / 1000.0;
  json record{{"id", event.id},
              {"camera", event.camera_name},
              {"camera_id", event.camera_id},
              {"label", event.label},
              {"class_id", event.class_id},
              {"score", std::round(event.score * 10000) / 10000},
              {"start_ms", event.start_ms},
              {"end_ms", event.end_ms ? json(*event.end_ms) : json(nullptr)},
              {"duration_s", std::round(duration_s * 1000) / 1000},
              {"box", {event.box.x1, event.box.y1, event.box.x2, event.box.y2}},
              {"frame", {event.frame_width, event.frame_height}},
              {"zones", event.zones},
              {"track_id", event.track_id}};
  const bool linked = !ui_base_url.empty() && type != AlertType::kTest;
  const std::string id = std::to_string(event.id);
  return json{{"version", kPayloadVersion},
              {"type", to_string(type)},
              {"delivery_id", delivery_id},
              {"rule", {{"name", rule.name}, {"severity", to_string(rule.severity)}}},
              {"event", record},
              {"time", iso8601_local(event.start_ms)},
              {"time_local", format_local_time(event.start_ms)},
              {"url", linked ? json(ui_base_url + "/#/events/" + id) : json(nullptr)},
              {"snapshot_url", linked && has_snapshot
                                   ? json(ui_base_url + "/api/v1/events/" + id + "/snapshot.jpg")
                                   : json(nullptr)},
              {"has_snapshot", has_snapshot},
              {"frame_ms", frame_ms ? json(*frame_ms) : json(nullptr)}};
}

std::string render_template(const std::string& text, const json& payload) {
  std::string out;
  std::string error;
  const bool ok = walk_template(
      text, [&](char c) { out += c; },
      [&](const std::string& name, std::string&) {
        out += placeholder_value(name, payload);
        return true;
      },
      error);
  return ok ? out : text;
}

std::optional<std::string> template_error(const std::string& text) {
  std::string error;
  const bool ok = walk_template(
      text, [](char) {},
      [](const std::string& name, std::string& message) {
        for (const char* known : kPlaceholders)
          if (name == known) return true;
        message = "unknown placeholder {" + name + "} (known:";
        for (const char* known : kPlaceholders)
          message += std::string(" {") + known + "}";
        message += ")";
        return false;
      },
      error);
  if (ok) return std::nullopt;
  return error;
}

std::string format_local_time(std::int64_t ms) {
  const std::tm tm = local_tm(ms);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", &tm);
  return text;
}

std::string iso8601_local(std::int64_t ms) {
  const std::tm tm = local_tm(ms);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  const long offset_min = tm.tm_gmtoff / 60;
  char text[64];
  std::snprintf(text, sizeof text, "%s.%03d%c%02ld:%02ld", date,
                static_cast<int>(((ms % 1000) + 1000) % 1000), offset_min < 0 ? '-' : '+',
                std::labs(offset_min) / 60, std::labs(offset_min) % 60);
  return text;
}

} // namespace tilescope::alerts
