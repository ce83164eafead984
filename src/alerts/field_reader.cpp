#include "field_reader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace tilescope::alerts::detail {

using nlohmann::json;

std::string child_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::string describe(const json& value) {
  switch (value.type()) {
  case json::value_t::null: return "nothing (null)";
  case json::value_t::object: return "an object";
  case json::value_t::array: return "a list";
  case json::value_t::boolean: return value.get<bool>() ? "true" : "false";
  case json::value_t::string: {
    std::string text = value.get<std::string>();
    if (text.size() > 40) text = text.substr(0, 40) + "...";
    return "\"" + text + "\"";
  }
  default: return value.dump();
  }
}

namespace {

const json* find(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool parse_number_text(const std::string& text, double& out) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) return false;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) return false;
  out = value;
  return true;
}

} // namespace

void FieldReader::issue(const std::string& path, std::string message) {
  issues_.push_back({path, std::move(message)});
}

bool FieldReader::object(const json& value, const std::string& path,
                         const std::vector<std::string_view>& allowed) {
  if (!value.is_object()) {
    issue(path, "expected an object (a mapping), got " + describe(value));
    return false;
  }
  for (const auto& [key, _] : value.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string expected;
    for (std::string_view name : allowed)
      expected += (expected.empty() ? "" : ", ") + std::string(name);
    issue(child_path(path, key), "unknown key (expected one of: " + expected + ")");
  }
  return true;
}

bool FieldReader::require(const json& object, const std::string& path, std::string_view key) {
  if (find(object, key) != nullptr) return true;
  issue(child_path(path, key), "missing (required)");
  return false;
}

bool FieldReader::as_string(const json& value, const std::string& path, std::string& out) {
  if (value.is_string()) {
    out = value.get<std::string>();
    return true;
  }
  // YAML `password: 1234` may arrive typed as a number: it is still the text written.
  if (lenient_ && (value.is_number() || value.is_boolean())) {
    out = value.dump();
    return true;
  }
  issue(path, "expected a string, got " + describe(value));
  return false;
}

bool FieldReader::as_double(const json& value, const std::string& path, double& out) {
  if (value.is_number() && std::isfinite(value.get<double>())) {
    out = value.get<double>();
    return true;
  }
  if (lenient_ && value.is_string() && parse_number_text(value.get<std::string>(), out)) return true;
  issue(path, "expected a number, got " + describe(value));
  return false;
}

bool FieldReader::as_int(const json& value, const std::string& path, int& out) {
  double number = 0;
  const bool is_number = value.is_number() || (lenient_ && value.is_string() &&
                                               parse_number_text(value.get<std::string>(), number));
  if (value.is_number()) number = value.get<double>();
  if (is_number && std::isfinite(number) && number == std::floor(number) && std::abs(number) < 2e9) {
    out = static_cast<int>(number);
    return true;
  }
  issue(path, "expected an integer, got " + describe(value));
  return false;
}

bool FieldReader::read(const json& object, const std::string& path, std::string_view key, std::string& out) {
  const json* value = find(object, key);
  return value == nullptr || as_string(*value, child_path(path, key), out);
}

bool FieldReader::read(const json& object, const std::string& path, std::string_view key, bool& out) {
  const json* value = find(object, key);
  if (value == nullptr) return true;
  if (value->is_boolean()) {
    out = value->get<bool>();
    return true;
  }
  if (lenient_ && value->is_string()) {
    const std::string text = lower(value->get<std::string>());
    if (text == "true" || text == "yes" || text == "on") return out = true, true;
    if (text == "false" || text == "no" || text == "off") return out = false, true;
  }
  issue(child_path(path, key), "expected true or false, got " + describe(*value));
  return false;
}

bool FieldReader::read(const json& object, const std::string& path, std::string_view key, int& out) {
  const json* value = find(object, key);
  return value == nullptr || as_int(*value, child_path(path, key), out);
}

bool FieldReader::read(const json& object, const std::string& path, std::string_view key, double& out) {
  const json* value = find(object, key);
  return value == nullptr || as_double(*value, child_path(path, key), out);
}

bool FieldReader::read(const json& object, const std::string& path, std::string_view key,
                       std::vector<std::string>& out) {
  const json* value = find(object, key);
  return value == nullptr || as_string_list(*value, child_path(path, key), out);
}

bool FieldReader::as_string_list(const json& value, const std::string& path, std::vector<std::string>& out) {
  if (value.is_string()) {
    out = {value.get<std::string>()};
    return true;
  }
  if (!value.is_array()) {
    issue(path, "expected a list of strings, got " + describe(value));
    return false;
  }
  std::vector<std::string> items;
  bool ok = true;
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string item;
    if (as_string(value[i], index_path(path, i), item))
      items.push_back(std::move(item));
    else
      ok = false;
  }
  if (ok) out = std::move(items);
  return ok;
}

bool FieldReader::read(const json& object, const std::string& path, std::string_view key,
                       std::map<std::string, std::string>& out) {
  const json* value = find(object, key);
  if (value == nullptr) return true;
  const std::string field_path = child_path(path, key);
  if (!value->is_object()) {
    issue(field_path, "expected an object of strings, got " + describe(*value));
    return false;
  }
  std::map<std::string, std::string> items;
  bool ok = true;
  for (const auto& [name, item] : value->items()) {
    std::string text;
    if (as_string(item, child_path(field_path, name), text))
      items[name] = std::move(text);
    else
      ok = false;
  }
  if (ok) out = std::move(items);
  return ok;
}

} // namespace tilescope::alerts::detail
