// Typed reading of a JSON tree that records an issue (with its path) for every wrong
// type or unknown key instead of stopping, so a document reports all its problems at once.
//
// Two dialects share the code:
//  - kJson, a body from the HTTP API: strictly typed (a number is a JSON number).
//  - kYaml, a tree converted from YAML by yaml_to_json(typed = false): every scalar is
//    the text the user wrote, so "5" and "true" are read as a number and a boolean
//    where those are expected, and a string field keeps "0123" exactly as written
//    (a password of digits must not lose its leading zero).
#pragma once

#include "tilescope/config/config.h"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tilescope::config::detail {

using Keys = std::span<const std::string_view>;

// "cameras[2]" + "url" -> "cameras[2].url"; "" + "url" -> "url".
std::string child_path(const std::string& parent, std::string_view key);
// "cameras" + 2 -> "cameras[2]".
std::string index_path(const std::string& parent, std::size_t index);

enum class Dialect { kJson, kYaml };

class ValueReader {
public:
  ValueReader(Dialect dialect, std::vector<ConfigIssue>& issues) : dialect_(dialect), issues_(issues) {}

  Dialect dialect() const { return dialect_; }
  void add_issue(const std::string& path, std::string message);
  std::vector<ConfigIssue>& issues() { return issues_; }

  // True when `value` is an object (a YAML mapping). Keys not in `allowed` are issues,
  // except those in `ignored` (accepted and not read).
  bool object(const nlohmann::json& value, const std::string& path, Keys allowed, Keys ignored = {});
  // True when `value` is an array (a YAML sequence).
  bool array(const nlohmann::json& value, const std::string& path);

  // One field of an object: absent leaves `out` as it is (its default) and returns
  // true; a wrong type is an issue, leaves `out` and returns false.
  bool field(const nlohmann::json& object, const std::string& path, std::string_view key, std::string& out);
  bool field(const nlohmann::json& object, const std::string& path, std::string_view key, bool& out);
  bool field(const nlohmann::json& object, const std::string& path, std::string_view key, int& out);
  bool field(const nlohmann::json& object, const std::string& path, std::string_view key, double& out);
  // null is accepted and means "unset".
  bool field(const nlohmann::json& object, const std::string& path, std::string_view key,
             std::optional<bool>& out);
  // Lists and maps: null (a YAML key whose entries are all commented out) means empty.
  bool field(const nlohmann::json& object, const std::string& path, std::string_view key,
             std::vector<std::string>& out);
  bool field(const nlohmann::json& object, const std::string& path, std::string_view key,
             std::map<std::string, double>& out);

  // Single values (list elements); `path` names the value itself.
  bool as_string(const nlohmann::json& value, const std::string& path, std::string& out);
  bool as_bool(const nlohmann::json& value, const std::string& path, bool& out);
  bool as_int(const nlohmann::json& value, const std::string& path, int& out);
  bool as_double(const nlohmann::json& value, const std::string& path, double& out);
  // A polygon: a list of [x, y] points. A point that is not two numbers is an issue at
  // `path[i]` and is kept as NaN, so the point count stays what the user wrote and the
  // validation skips the coordinates already reported.
  bool as_polygon(const nlohmann::json& value, const std::string& path, Polygon& out);

private:
  // "expected <expected>, got <what value is>"; `path` decides whether the value may be shown.
  std::string type_issue(const std::string& path, const nlohmann::json& value,
                         std::string_view expected) const;

  Dialect dialect_;
  std::vector<ConfigIssue>& issues_;
};

} // namespace tilescope::config::detail
