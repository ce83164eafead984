// Rules: JSON (from the YAML section or the API) to alerts::Rule and back.
#include "alerts_config_internal.h"
#include "field_reader.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <set>

namespace tilescope::alerts {

using detail::child_path;
using detail::describe;
using detail::FieldReader;
using detail::index_path;
using nlohmann::json;

namespace {

constexpr std::array<const char*, 7> kDayNames = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::array<const char*, 7> kLongDayNames = {"monday", "tuesday",  "wednesday", "thursday",
                                                      "friday", "saturday", "sunday"};

std::string lower(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// "HH:MM" (24:00 allowed as the end of a day) -> minutes after midnight, or -1.
int parse_clock(const std::string& text) {
  int hours = 0, minutes = 0;
  char tail = 0;
  if (text.size() < 4 || std::sscanf(text.c_str(), "%2d:%2d%c", &hours, &minutes, &tail) != 2) return -1;
  if (text[text.size() - 3] != ':') return -1;
  if (hours < 0 || minutes < 0 || minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) return -1;
  return hours * 60 + minutes;
}

std::string format_clock(int minutes) {
  char text[16];
  std::snprintf(text, sizeof text, "%02d:%02d", minutes / 60, minutes % 60);
  return text;
}

bool valid_camera_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

void read_days(FieldReader& reader, const json& value, const std::string& path, std::uint8_t& days) {
  std::vector<std::string> names;
  if (!reader.as_string_list(value, path, names)) return;
  if (names.empty()) {
    reader.issue(path, "expected at least one day (mon, tue, wed, thu, fri, sat, sun)");
    return;
  }
  std::uint8_t mask = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string name = lower(names[i]);
    int day = -1;
    for (int d = 0; d < 7; ++d)
      if (name == kDayNames[d] || name == kLongDayNames[d]) day = d;
    if (day < 0) {
      reader.issue(index_path(path, i),
                   "unknown day \"" + names[i] + "\" (expected mon, tue, wed, thu, fri, sat, sun)");
      continue;
    }
    mask |= static_cast<std::uint8_t>(1u << day);
  }
  if (mask != 0) days = mask;
}

std::vector<TimeWindow> read_schedule(FieldReader& reader, const json& value, const std::string& path) {
  std::vector<TimeWindow> windows;
  if (!value.is_array()) {
    reader.issue(path, "expected a list of {days, from, to}, got " + describe(value));
    return windows;
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string window_path = index_path(path, i);
    const json& item = value[i];
    if (!reader.object(item, window_path, {"days", "from", "to"})) continue;
    TimeWindow window;
    if (item.contains("days") && !item["days"].is_null())
      read_days(reader, item["days"], child_path(window_path, "days"), window.days);
    std::string from = "00:00", to = "24:00";
    bool clocks_ok = true;
    for (auto [key, text, minutes] :
         {std::tuple{"from", &from, &window.from_min}, std::tuple{"to", &to, &window.to_min}}) {
      if (!reader.read(item, window_path, key, *text)) {
        clocks_ok = false;
        continue;
      }
      *minutes = parse_clock(*text);
      if (*minutes < 0) {
        reader.issue(child_path(window_path, key),
                     "expected a time \"HH:MM\" (00:00 to 24:00), got \"" + *text + "\"");
        clocks_ok = false;
      }
    }
    if (!clocks_ok) continue;
    if (window.from_min == 1440) {
      reader.issue(child_path(window_path, "from"), "a window cannot start at 24:00 (use 00:00)");
      continue;
    }
    if (window.from_min == window.to_min) {
      reader.issue(
          child_path(window_path, "to"),
          "equal to from: an empty window (00:00 to 24:00 is a whole day; to < from runs overnight)");
      continue;
    }
    windows.push_back(window);
  }
  return windows;
}

template <typename Enum, std::size_t N>
bool read_enum(FieldReader& reader, const json& object, const std::string& path, const char* key,
               const std::array<std::pair<const char*, Enum>, N>& names, Enum& out) {
  std::string text;
  if (!object.contains(key) || object[key].is_null() || !reader.read(object, path, key, text)) return false;
  for (const auto& [name, value] : names)
    if (lower(text) == name) return out = value, true;
  std::string expected;
  for (const auto& [name, _] : names)
    expected += (expected.empty() ? "" : " | ") + std::string(name);
  reader.issue(child_path(path, key), "expected " + expected + ", got \"" + text + "\"");
  return false;
}

constexpr std::array<std::pair<const char*, Severity>, 3> kSeverities = {
    {{"info", Severity::kInfo}, {"warning", Severity::kWarning}, {"critical", Severity::kCritical}}};
constexpr std::array<std::pair<const char*, ZoneMode>, 2> kZoneModes = {
    {{"inside", ZoneMode::kInside}, {"enter", ZoneMode::kEnter}}};

void check_non_negative(FieldReader& reader, const json& object, const std::string& path, const char* key,
                        double& out) {
  double value = out;
  if (!reader.read(object, path, key, value)) return;
  if (value < 0)
    reader.issue(child_path(path, key), "expected a number >= 0, got " + describe(object[key]));
  else
    out = value;
}

} // namespace

namespace detail {

Rule read_rule(FieldReader& reader, const json& value, const std::string& path,
               const std::vector<SinkConfig>& sinks) {
  Rule rule;
  if (!reader.object(value, path,
                     {"name", "enabled", "cameras", "classes", "min_score", "zones", "zone_mode",
                      "min_duration_s", "confirm", "cooldown_per_track_s", "cooldown_per_camera_s",
                      "schedule", "severity", "sinks", "notify_on_end"}))
    return rule;
  if (reader.require(value, path, "name") && reader.read(value, path, "name", rule.name)) {
    if (rule.name.empty() || rule.name.size() > 64 ||
        std::any_of(rule.name.begin(), rule.name.end(), [](unsigned char c) { return c < 0x20 || c == '/'; }))
      reader.issue(child_path(path, "name"), "expected 1 to 64 characters, no '/' or control characters");
  }
  reader.read(value, path, "enabled", rule.enabled);
  if (reader.read(value, path, "cameras", rule.cameras)) {
    for (std::size_t i = 0; i < rule.cameras.size(); ++i)
      if (!valid_camera_name(rule.cameras[i]))
        reader.issue(index_path(child_path(path, "cameras"), i),
                     "expected a camera name ([A-Za-z0-9_-]+), got \"" + rule.cameras[i] + "\"");
  }
  reader.read(value, path, "classes", rule.classes);
  double min_score = rule.min_score;
  if (reader.read(value, path, "min_score", min_score)) {
    if (min_score < 0 || min_score > 1)
      reader.issue(child_path(path, "min_score"),
                   "expected a number from 0 to 1, got " + describe(value["min_score"]));
    else
      rule.min_score = min_score;
  }
  reader.read(value, path, "zones", rule.zones);
  if (read_enum(reader, value, path, "zone_mode", kZoneModes, rule.zone_mode) &&
      rule.zone_mode == ZoneMode::kEnter && rule.zones.empty())
    reader.issue(child_path(path, "zone_mode"), "\"enter\" needs zones to enter (zones is empty)");
  check_non_negative(reader, value, path, "min_duration_s", rule.min_duration_s);
  if (value.contains("confirm") && !value["confirm"].is_null()) {
    const std::string confirm_path = child_path(path, "confirm");
    const json& confirm = value["confirm"];
    if (reader.object(confirm, confirm_path, {"n", "m"}) && reader.require(confirm, confirm_path, "n") &&
        reader.require(confirm, confirm_path, "m")) {
      Confirm c;
      if (reader.read(confirm, confirm_path, "n", c.n) && reader.read(confirm, confirm_path, "m", c.m)) {
        if (c.m < 1 || c.m > 100)
          reader.issue(child_path(confirm_path, "m"), "expected 1 to 100 frames");
        else if (c.n < 1 || c.n > c.m)
          reader.issue(child_path(confirm_path, "n"), "expected 1 to m (" + std::to_string(c.m) + ")");
        else
          rule.confirm = c;
      }
    }
    if (rule.min_duration_s > 0) reader.issue(confirm_path, "use either min_duration_s or confirm, not both");
  }
  check_non_negative(reader, value, path, "cooldown_per_track_s", rule.cooldown_per_track_s);
  check_non_negative(reader, value, path, "cooldown_per_camera_s", rule.cooldown_per_camera_s);
  if (value.contains("schedule") && !value["schedule"].is_null())
    rule.schedule = read_schedule(reader, value["schedule"], child_path(path, "schedule"));
  read_enum(reader, value, path, "severity", kSeverities, rule.severity);
  if (reader.require(value, path, "sinks") && reader.read(value, path, "sinks", rule.sinks)) {
    const std::string sinks_path = child_path(path, "sinks");
    if (rule.sinks.empty()) reader.issue(sinks_path, "expected at least one sink name");
    for (std::size_t i = 0; i < rule.sinks.size(); ++i) {
      const bool known = std::any_of(sinks.begin(), sinks.end(),
                                     [&](const SinkConfig& s) { return s.name == rule.sinks[i]; });
      if (known) continue;
      std::string names;
      for (const SinkConfig& s : sinks)
        names += (names.empty() ? "" : ", ") + s.name;
      reader.issue(index_path(sinks_path, i), "unknown sink \"" + rule.sinks[i] + "\" (configured: " +
                                                  (names.empty() ? "none" : names) + ")");
    }
  }
  reader.read(value, path, "notify_on_end", rule.notify_on_end);
  return rule;
}

std::vector<Rule> read_rules(FieldReader& reader, const json& value, const std::string& path,
                             const std::vector<SinkConfig>& sinks) {
  std::vector<Rule> rules;
  if (!value.is_array()) {
    reader.issue(path, "expected a list of rules, got " + describe(value));
    return rules;
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string rule_path = index_path(path, i);
    Rule rule = read_rule(reader, value[i], rule_path, sinks);
    if (!rule.name.empty() && !names.insert(rule.name).second)
      reader.issue(child_path(rule_path, "name"), "duplicate rule name \"" + rule.name + "\"");
    rules.push_back(std::move(rule));
  }
  return rules;
}

} // namespace detail

std::vector<Rule> rules_from_json(const json& rules, const std::string& path,
                                  const std::vector<SinkConfig>& sinks,
                                  std::vector<config::ConfigIssue>& issues) {
  FieldReader reader(/*lenient=*/false, issues);
  return detail::read_rules(reader, rules, path, sinks);
}

json rule_to_json(const Rule& rule) {
  json schedule = json::array();
  for (const TimeWindow& window : rule.schedule) {
    json days = json::array();
    for (int d = 0; d < 7; ++d)
      if (window.days & (1u << d)) days.push_back(kDayNames[d]);
    schedule.push_back(
        {{"days", days}, {"from", format_clock(window.from_min)}, {"to", format_clock(window.to_min)}});
  }
  return json{
      {"name", rule.name},
      {"enabled", rule.enabled},
      {"cameras", rule.cameras},
      {"classes", rule.classes},
      {"min_score", rule.min_score},
      {"zones", rule.zones},
      {"zone_mode", to_string(rule.zone_mode)},
      {"min_duration_s", rule.min_duration_s},
      {"confirm", rule.confirm ? json{{"n", rule.confirm->n}, {"m", rule.confirm->m}} : json(nullptr)},
      {"cooldown_per_track_s", rule.cooldown_per_track_s},
      {"cooldown_per_camera_s", rule.cooldown_per_camera_s},
      {"schedule", schedule},
      {"severity", to_string(rule.severity)},
      {"sinks", rule.sinks},
      {"notify_on_end", rule.notify_on_end}};
}

} // namespace tilescope::alerts
