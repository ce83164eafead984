// Typed reading of a JSON object that records an issue (with its path) for every wrong
// type, missing or unknown key instead of stopping, so a whole `alerts:` section or
// API body reports all its problems at once.
//
// Lenient mode reads YAML-born text: "30" where a number is expected, "yes" for a
// boolean (the config module may hand scalars over as the text the user wrote).
#pragma once

#include "tilescope/config/config.h"

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tilescope::alerts::detail {

// "alerts.rules[1]" + "zones" -> "alerts.rules[1].zones"; "" + "zones" -> "zones".
std::string child_path(const std::string& parent, std::string_view key);
// "alerts.rules" + 1 -> "alerts.rules[1]".
std::string index_path(const std::string& parent, std::size_t index);
// How a value reads in a message: "\"soon\"", "a list", "nothing (null)".
std::string describe(const nlohmann::json& value);

class FieldReader {
public:
  FieldReader(bool lenient, std::vector<config::ConfigIssue>& issues) : lenient_(lenient), issues_(issues) {}

  void issue(const std::string& path, std::string message);
  std::size_t issue_count() const { return issues_.size(); }

  // True when `value` is an object; keys outside `allowed` are issues.
  bool object(const nlohmann::json& value, const std::string& path,
              const std::vector<std::string_view>& allowed);
  // An issue when `key` is absent (or null) in `object`.
  bool require(const nlohmann::json& object, const std::string& path, std::string_view key);

  // One field: absent (or null) leaves `out` at its default and returns true; a wrong
  // type is an issue, leaves `out` and returns false.
  bool read(const nlohmann::json& object, const std::string& path, std::string_view key, std::string& out);
  bool read(const nlohmann::json& object, const std::string& path, std::string_view key, bool& out);
  bool read(const nlohmann::json& object, const std::string& path, std::string_view key, int& out);
  bool read(const nlohmann::json& object, const std::string& path, std::string_view key, double& out);
  // A list of strings (a single string is accepted as a list of one).
  bool read(const nlohmann::json& object, const std::string& path, std::string_view key,
            std::vector<std::string>& out);
  bool read(const nlohmann::json& object, const std::string& path, std::string_view key,
            std::map<std::string, std::string>& out);

  bool as_string(const nlohmann::json& value, const std::string& path, std::string& out);
  bool as_double(const nlohmann::json& value, const std::string& path, double& out);
  bool as_int(const nlohmann::json& value, const std::string& path, int& out);
  bool as_string_list(const nlohmann::json& value, const std::string& path, std::vector<std::string>& out);

private:
  bool lenient_;
  std::vector<config::ConfigIssue>& issues_;
};

} // namespace tilescope::alerts::detail
