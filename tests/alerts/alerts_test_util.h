// Small builders shared by the alerts tests: configs from JSON, events, payloads.
#pragma once

#include "tilescope/alerts/alert_payload.h"
#include "tilescope/alerts/alerts_config.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>

namespace tilescope::alerts::testing {

// parse_alerts_config that fails the test on any issue.
inline AlertsConfig config_from(const nlohmann::json& section) {
  std::vector<config::ConfigIssue> issues;
  AlertsConfig config = parse_alerts_config(section, issues);
  for (const auto& issue : issues)
    ADD_FAILURE() << issue.path << ": " << issue.message;
  return config;
}

inline SinkConfig sink_from(const nlohmann::json& sink) {
  AlertsConfig config = config_from({{"sinks", {sink}}});
  return config.sinks.empty() ? SinkConfig{} : config.sinks.front();
}

inline store::EventRecord event(std::int64_t id, const std::string& camera,
                                const std::string& label = "knife", double score = 0.91) {
  store::EventRecord e;
  e.id = id;
  e.camera_id = 3;
  e.camera_name = camera;
  e.label = label;
  e.class_id = 43;
  e.score = score;
  e.start_ms = 1715026385120; // 2024-05-06 20:13:05.120 UTC
  e.updated_ms = e.start_ms + 1500;
  e.box = {100, 120, 140, 200};
  e.frame_width = 3840;
  e.frame_height = 2160;
  e.zones = {"door", "yard"};
  e.track_id = 7;
  return e;
}

inline Rule rule(const std::string& name = "knife at gate", Severity severity = Severity::kCritical) {
  Rule r;
  r.name = name;
  r.severity = severity;
  r.sinks = {"s"};
  return r;
}

} // namespace tilescope::alerts::testing
