// The `alerts:` section as a whole: sinks first (rules name them), then rules, the
// outbox policy and the UI link base.
#include "alerts_config_internal.h"

namespace tilescope::alerts {

using detail::child_path;
using detail::describe;
using detail::FieldReader;
using nlohmann::json;

namespace {

OutboxSettings read_outbox(FieldReader& reader, const json& value, const std::string& path) {
  OutboxSettings outbox;
  if (!reader.object(value, path,
                     {"max_attempts", "give_up_after_s", "backoff_initial_s", "backoff_max_s", "keep_days"}))
    return outbox;
  int max_attempts = outbox.max_attempts;
  if (reader.read(value, path, "max_attempts", max_attempts)) {
    if (max_attempts < 0)
      reader.issue(child_path(path, "max_attempts"), "expected an integer >= 0 (0: no limit)");
    else
      outbox.max_attempts = max_attempts;
  }
  const auto seconds = [&](const char* key, double& out, double min, bool inclusive) {
    double number = out;
    if (!reader.read(value, path, key, number)) return;
    if (number < min || (!inclusive && number == min))
      reader.issue(child_path(path, key), std::string("expected a number ") + (inclusive ? ">= " : "> ") +
                                              (min == 0 ? "0" : std::to_string(min)) + ", got " +
                                              describe(value[key]));
    else
      out = number;
  };
  seconds("give_up_after_s", outbox.give_up_after_s, 0, true);
  seconds("backoff_initial_s", outbox.backoff_initial_s, 0, false);
  seconds("backoff_max_s", outbox.backoff_max_s, 0, false);
  seconds("keep_days", outbox.keep_days, 0, true);
  if (outbox.backoff_max_s < outbox.backoff_initial_s)
    reader.issue(child_path(path, "backoff_max_s"),
                 "expected >= backoff_initial_s (" + json(outbox.backoff_initial_s).dump() + ")");
  return outbox;
}

} // namespace

const char* to_string(Severity severity) {
  switch (severity) {
  case Severity::kInfo: return "info";
  case Severity::kWarning: return "warning";
  case Severity::kCritical: return "critical";
  }
  return "warning";
}

const char* to_string(ZoneMode mode) { return mode == ZoneMode::kEnter ? "enter" : "inside"; }

const char* to_string(SinkType type) {
  switch (type) {
  case SinkType::kEmail: return "email";
  case SinkType::kMqtt: return "mqtt";
  case SinkType::kWebhook: return "webhook";
  }
  return "email";
}

AlertsConfig parse_alerts_config(const json& alerts, std::vector<config::ConfigIssue>& issues) {
  AlertsConfig config;
  if (alerts.is_null()) return config;
  FieldReader reader(/*lenient=*/true, issues);
  const std::string path = "alerts";
  if (!reader.object(alerts, path, {"sinks", "rules", "outbox", "ui_base_url"})) return config;
  if (alerts.contains("sinks") && !alerts["sinks"].is_null())
    config.sinks = detail::read_sinks(reader, alerts["sinks"], child_path(path, "sinks"));
  if (alerts.contains("rules") && !alerts["rules"].is_null())
    config.rules = detail::read_rules(reader, alerts["rules"], child_path(path, "rules"), config.sinks);
  if (alerts.contains("outbox") && !alerts["outbox"].is_null())
    config.outbox = read_outbox(reader, alerts["outbox"], child_path(path, "outbox"));
  if (reader.read(alerts, path, "ui_base_url", config.ui_base_url)) {
    std::string& url = config.ui_base_url;
    while (!url.empty() && url.back() == '/')
      url.pop_back();
    if (!url.empty() && url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
      reader.issue(child_path(path, "ui_base_url"), "expected http(s)://host[:port], got \"" + url + "\"");
  }
  return config;
}

} // namespace tilescope::alerts
