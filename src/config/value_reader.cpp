#include "value_reader.h"

#include "tilescope/core/redact.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace tilescope::config::detail {

using nlohmann::json;

std::string child_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out = parent;
  out += '.';
  out += key;
  return out;
}

std::string index_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join(Keys keys) {
  std::string out;
  for (std::string_view key : keys) {
    if (!out.empty()) out += ", ";
    out += key;
  }
  return out;
}

// A YAML scalar as the user wrote it: shown in quotes in messages.
std::string quoted(const std::string& text) {
  constexpr std::size_t kMaxShown = 40;
  if (text.size() <= kMaxShown) return "'" + text + "'";
  return "'" + text.substr(0, kMaxShown) + "...'";
}

// What a message may show of a value the user wrote: never a secret, since messages
// reach logs. Values of credential keys are not shown; URLs lose their password.
std::string shown(const std::string& path, const std::string& text) {
  const std::string key = lower(path.substr(path.find_last_of('.') + 1));
  for (const char* secret : {"password", "token", "secret", "key"}) {
    if (key.find(secret) != std::string::npos) return "a string";
  }
  return quoted(redact_url(text));
}

bool parse_int_text(const std::string& text, int& out) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  long long value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) return false;
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) return false;
  out = static_cast<int>(value);
  return true;
}

bool parse_double_text(const std::string& text, double& out) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) return false;
  if (!std::isfinite(value)) return false;
  out = value;
  return true;
}

} // namespace

void ValueReader::add_issue(const std::string& path, std::string message) {
  issues_.push_back(ConfigIssue{path, std::move(message)});
}

std::string ValueReader::type_issue(const std::string& path, const json& value,
                                    std::string_view expected) const {
  const bool yaml = dialect_ == Dialect::kYaml;
  std::string got;
  switch (value.type()) {
  case json::value_t::null: got = "nothing (null)"; break;
  case json::value_t::object: got = yaml ? "a mapping" : "an object"; break;
  case json::value_t::array: got = yaml ? "a list" : "an array"; break;
  case json::value_t::string: got = yaml ? shown(path, value.get<std::string>()) : "a string"; break;
  case json::value_t::boolean: got = "a boolean"; break;
  default: got = "a number"; break;
  }
  return "expected " + std::string(expected) + ", got " + got;
}

bool ValueReader::object(const json& value, const std::string& path, Keys allowed, Keys ignored) {
  if (!value.is_object()) {
    add_issue(path, type_issue(path, value, dialect_ == Dialect::kYaml ? "a mapping" : "an object"));
    return false;
  }
  for (const auto& [key, unused] : value.items()) {
    const auto known = [&](Keys keys) { return std::find(keys.begin(), keys.end(), key) != keys.end(); };
    if (known(allowed) || known(ignored)) continue;
    std::string message = "unknown key; ";
    std::size_t best = 3; // suggest only near misses (a typo, a wrong case)
    std::string_view suggestion;
    for (std::string_view candidate : allowed) {
      const std::size_t distance = edit_distance(lower(key), lower(candidate));
      if (distance < best) best = distance, suggestion = candidate;
    }
    // Or a shortening ("fps" for "fps_limit").
    for (std::string_view candidate : allowed) {
      if (suggestion.empty() && key.size() >= 3 && candidate.substr(0, key.size()) == key)
        suggestion = candidate;
    }
    if (!suggestion.empty()) message += "did you mean '" + std::string(suggestion) + "'? ";
    message += "expected one of: " + join(allowed);
    add_issue(child_path(path, key), std::move(message));
  }
  return true;
}

bool ValueReader::array(const json& value, const std::string& path) {
  if (value.is_array()) return true;
  add_issue(path, type_issue(path, value, dialect_ == Dialect::kYaml ? "a list" : "an array"));
  return false;
}

bool ValueReader::as_string(const json& value, const std::string& path, std::string& out) {
  if (!value.is_string()) {
    add_issue(path, type_issue(path, value, "a string"));
    return false;
  }
  out = value.get<std::string>();
  return true;
}

bool ValueReader::as_bool(const json& value, const std::string& path, bool& out) {
  if (value.is_boolean()) {
    out = value.get<bool>();
    return true;
  }
  if (dialect_ == Dialect::kYaml && value.is_string()) {
    // YAML 1.1 spellings too: users write `enabled: yes`.
    const std::string text = lower(value.get<std::string>());
    if (text == "true" || text == "yes" || text == "on") return out = true, true;
    if (text == "false" || text == "no" || text == "off") return out = false, true;
  }
  add_issue(path, type_issue(path, value, "a boolean (true or false)"));
  return false;
}

bool ValueReader::as_int(const json& value, const std::string& path, int& out) {
  if (value.is_number_integer()) {
    const auto wide = value.get<long long>();
    if (wide >= std::numeric_limits<int>::min() && wide <= std::numeric_limits<int>::max()) {
      out = static_cast<int>(wide);
      return true;
    }
  } else if (value.is_number_float()) {
    // JavaScript clients have one number type: 5.0 is the integer 5.
    const double number = value.get<double>();
    if (std::isfinite(number) && number == std::floor(number) && std::abs(number) < 2e9) {
      out = static_cast<int>(number);
      return true;
    }
  } else if (dialect_ == Dialect::kYaml && value.is_string() &&
             parse_int_text(value.get<std::string>(), out)) {
    return true;
  }
  add_issue(path, type_issue(path, value, "an integer"));
  return false;
}

bool ValueReader::as_double(const json& value, const std::string& path, double& out) {
  if (value.is_number()) {
    const double number = value.get<double>();
    if (std::isfinite(number)) {
      out = number;
      return true;
    }
  } else if (dialect_ == Dialect::kYaml && value.is_string() &&
             parse_double_text(value.get<std::string>(), out)) {
    return true;
  }
  add_issue(path, type_issue(path, value, "a number"));
  return false;
}

bool ValueReader::as_polygon(const json& value, const std::string& path, Polygon& out) {
  if (!array(value, path)) return false;
  Polygon polygon;
  bool ok = true;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const json& point = value[i];
    const std::string point_path = index_path(path, i);
    Point p;
    bool point_ok = point.is_array() && point.size() == 2;
    if (point_ok) {
      // as_double would file its own issue; one issue per point reads better.
      std::vector<ConfigIssue> scratch;
      ValueReader quiet(dialect_, scratch);
      point_ok = quiet.as_double(point[0], point_path, p.x) && quiet.as_double(point[1], point_path, p.y);
    }
    if (!point_ok) {
      add_issue(point_path, type_issue(point_path, point, "a point [x, y] of two numbers"));
      p.x = p.y = std::numeric_limits<double>::quiet_NaN();
      ok = false;
    }
    polygon.push_back(p);
  }
  out = std::move(polygon);
  return ok;
}

bool ValueReader::field(const json& object, const std::string& path, std::string_view key, std::string& out) {
  const auto it = object.find(key);
  return it == object.end() || as_string(*it, child_path(path, key), out);
}

bool ValueReader::field(const json& object, const std::string& path, std::string_view key, bool& out) {
  const auto it = object.find(key);
  return it == object.end() || as_bool(*it, child_path(path, key), out);
}

bool ValueReader::field(const json& object, const std::string& path, std::string_view key, int& out) {
  const auto it = object.find(key);
  return it == object.end() || as_int(*it, child_path(path, key), out);
}

bool ValueReader::field(const json& object, const std::string& path, std::string_view key, double& out) {
  const auto it = object.find(key);
  return it == object.end() || as_double(*it, child_path(path, key), out);
}

bool ValueReader::field(const json& object, const std::string& path, std::string_view key,
                        std::optional<bool>& out) {
  const auto it = object.find(key);
  if (it == object.end()) return true;
  if (it->is_null()) {
    out.reset();
    return true;
  }
  bool value = false;
  if (!as_bool(*it, child_path(path, key), value)) return false;
  out = value;
  return true;
}

bool ValueReader::field(const json& object, const std::string& path, std::string_view key,
                        std::vector<std::string>& out) {
  const auto it = object.find(key);
  if (it == object.end()) return true;
  if (it->is_null()) { // `classes:` with every entry commented out
    out.clear();
    return true;
  }
  const std::string list_path = child_path(path, key);
  if (!array(*it, list_path)) return false;
  std::vector<std::string> values;
  bool ok = true;
  for (std::size_t i = 0; i < it->size(); ++i) {
    std::string value;
    if (as_string((*it)[i], index_path(list_path, i), value)) {
      values.push_back(std::move(value));
    } else {
      ok = false;
    }
  }
  if (ok) out = std::move(values);
  return ok;
}

bool ValueReader::field(const json& object, const std::string& path, std::string_view key,
                        std::map<std::string, double>& out) {
  const auto it = object.find(key);
  if (it == object.end()) return true;
  if (it->is_null()) {
    out.clear();
    return true;
  }
  const std::string map_path = child_path(path, key);
  if (!it->is_object()) {
    add_issue(map_path, type_issue(map_path, *it,
                                   dialect_ == Dialect::kYaml ? "a mapping of class: number"
                                                              : "an object of class: number"));
    return false;
  }
  std::map<std::string, double> values;
  bool ok = true;
  for (const auto& [name, value] : it->items()) {
    double number = 0;
    if (as_double(value, child_path(map_path, name), number)) {
      values[name] = number;
    } else {
      ok = false;
    }
  }
  if (ok) out = std::move(values);
  return ok;
}

} // namespace tilescope::config::detail
