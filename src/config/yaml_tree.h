// YAML to JSON, so one reader (ValueReader) serves the config file and the HTTP API.
#pragma once

#include "tilescope/config/config.h"

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

namespace tilescope::config::detail {

// Path in the document ("cameras[2].url") -> 1-based line, for messages.
using LineMap = std::map<std::string, int>;

// Converts a YAML tree into JSON, replacing `${NAME}` in string scalars by the
// environment variable (an unset variable is an issue at that path; `$${` writes a
// literal `${`). With `typed` false every scalar stays the text the user wrote (plain
// null-like scalars become null) and ValueReader's kYaml dialect reads it by the type
// each field expects; with `typed` true plain scalars resolve by YAML 1.2's core schema
// (null, bool, int, float, else string; resolve_typed_scalar) for sections the config
// module does not know (`alerts:`). Duplicate and non-text keys are issues. `lines`
// (optional) receives the line of every node.
nlohmann::json yaml_to_json(const YAML::Node& node, const std::string& path, bool typed,
                            std::vector<ConfigIssue>& issues, LineMap* lines);

// The value a plain (unquoted) YAML scalar resolves to under the core schema; a string
// when it is none of null, bool, int or float. to_yaml quotes strings that would not
// read back as strings.
nlohmann::json resolve_plain_scalar(const std::string& text);

// resolve_plain_scalar for the typed sections, keeping the text recoverable: a number or
// boolean whose JSON form is not the exact text written stays a string ("0123", "1.50",
// "True", "0x1F"), so a string field (a digit-only password) reads back what was
// written, from a string or from the value's dump(); null-like text is still null.
nlohmann::json resolve_typed_scalar(const std::string& text);

} // namespace tilescope::config::detail
