// Pieces of parse_alerts_config shared by its files (rules, sinks, the section).
#pragma once

#include "field_reader.h"
#include "tilescope/alerts/alerts_config.h"

namespace tilescope::alerts::detail {

Rule read_rule(FieldReader& reader, const nlohmann::json& value, const std::string& path,
               const std::vector<SinkConfig>& sinks);
// A list of rules with unique names.
std::vector<Rule> read_rules(FieldReader& reader, const nlohmann::json& value, const std::string& path,
                             const std::vector<SinkConfig>& sinks);
// A list of sinks with unique names.
std::vector<SinkConfig> read_sinks(FieldReader& reader, const nlohmann::json& value, const std::string& path);

} // namespace tilescope::alerts::detail
