// The `alerts:` section of the config: sinks (where alerts go), rules (which events
// become alerts) and the outbox's retry policy.
//
//   std::vector<config::ConfigIssue> issues;
//   alerts::AlertsConfig alerts = alerts::parse_alerts_config(config.alerts, issues);
//   // issues: {"alerts.rules[1].cooldown_per_track_s", "expected a number >= 0, got \"soon\""}
//
// Every problem is reported with its path, all at once; unknown keys are problems
// (a misspelt `cooldown_s` silently doing nothing is how alerts get lost). Secrets
// (SMTP password, webhook secret, MQTT password) are plain strings here: the config
// module has already replaced `${NAME}` with the environment variable. They leave the
// process only towards their server: sink_to_json(sink, true) shows them as "***".
#pragma once

#include "tilescope/config/config.h"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tilescope::alerts {

enum class Severity { kInfo, kWarning, kCritical };
enum class ZoneMode {
  kInside, // the object is (or was, during the event) in one of the zones
  kEnter,  // the object crossed into one of the zones after it was first seen outside it
};

// One active window of a rule, in the local time zone. A window whose `to` is not
// after its `from` runs overnight into the next day ("22:00" - "06:00"); `days` are
// the days on which a window starts.
struct TimeWindow {
  std::uint8_t days = 0x7f; // bit 0 Monday ... bit 6 Sunday
  int from_min = 0;         // minutes after local midnight, 0..1439
  int to_min = 1440;        // 1..1440; <= from_min: ends the next day
  friend bool operator==(const TimeWindow&, const TimeWindow&) = default;
};

struct Confirm {
  int n = 0, m = 0; // the track seen in n of the camera's last m processed frames
  friend bool operator==(const Confirm&, const Confirm&) = default;
};

struct Rule {
  std::string name; // unique; shown in alerts and deliveries
  bool enabled = true;
  std::vector<std::string> cameras; // camera names; empty: every camera
  std::vector<std::string> classes; // labels; empty: every class
  double min_score = 0;             // the event's best score must reach this
  std::vector<std::string> zones;   // empty: anywhere in the frame
  ZoneMode zone_mode = ZoneMode::kInside;
  double min_duration_s = 0;        // the event must have lasted this long
  std::optional<Confirm> confirm;   // instead of min_duration_s
  double cooldown_per_track_s = 0;  // after an alert, quiet for this track
  double cooldown_per_camera_s = 0; // after an alert, quiet for the camera (this rule)
  std::vector<TimeWindow> schedule; // empty: always active
  Severity severity = Severity::kWarning;
  std::vector<std::string> sinks; // sink names, at least one
  bool notify_on_end = false;     // a second alert when the event ends (final best snapshot)
  friend bool operator==(const Rule&, const Rule&) = default;
};

struct EmailSinkOptions {
  std::string smtp_url;  // smtp://host[:port] (plain or STARTTLS) | smtps://host[:port] (implicit TLS)
  bool starttls = false; // smtp:// only: require STARTTLS before anything is sent
  bool tls_verify = true;
  std::string username; // "" : no AUTH
  std::string password; // secret
  std::string from;
  std::vector<std::string> to;
  // Placeholders: {camera} {label} {score} {severity} {rule} {time} {zones} {event_id}
  std::string subject = "[tilescope] {severity}: {label} on {camera}";
  double timeout_s = 30;
  friend bool operator==(const EmailSinkOptions&, const EmailSinkOptions&) = default;
};

struct WebhookSinkOptions {
  std::string url;    // http(s)://
  std::string secret; // HMAC-SHA256 key of X-Tilescope-Signature; "" : no signature
  double timeout_s = 10;
  std::map<std::string, std::string> headers; // extra request headers
  bool tls_verify = true;
  bool include_snapshot = false; // the JPEG, base64, in the body
  friend bool operator==(const WebhookSinkOptions&, const WebhookSinkOptions&) = default;
};

struct MqttSinkOptions {
  std::string host;
  int port = 1883;
  std::string username;
  std::string password; // secret
  std::string topic_prefix = "tilescope";
  std::string client_id = "tilescope";
  int qos = 1;
  double timeout_s = 10; // connect + publish acknowledgement
  friend bool operator==(const MqttSinkOptions&, const MqttSinkOptions&) = default;
};

enum class SinkType { kEmail, kMqtt, kWebhook };

struct SinkConfig {
  std::string name; // unique; [A-Za-z0-9_-]+
  std::variant<EmailSinkOptions, MqttSinkOptions, WebhookSinkOptions> options;
  SinkType type() const { return static_cast<SinkType>(options.index()); }
  friend bool operator==(const SinkConfig&, const SinkConfig&) = default;
};

struct OutboxSettings {
  int max_attempts = 0;           // 0: no limit (give_up_after_s decides)
  double give_up_after_s = 86400; // a delivery still unsent this long after it was queued fails
  double backoff_initial_s = 2;   // wait after the first failure, doubled after each
  double backoff_max_s = 300;
  double keep_days = 30; // sent and failed deliveries are deleted after this (0: keep)
  friend bool operator==(const OutboxSettings&, const OutboxSettings&) = default;
};

struct AlertsConfig {
  std::vector<SinkConfig> sinks;
  std::vector<Rule> rules;
  OutboxSettings outbox;
  std::string ui_base_url; // "https://nvr.example.com": links in alerts are <ui_base_url>/#/events/<id>
  friend bool operator==(const AlertsConfig&, const AlertsConfig&) = default;
};

const char* to_string(Severity severity); // "info" | "warning" | "critical"
const char* to_string(ZoneMode mode);     // "inside" | "enter"
const char* to_string(SinkType type);     // "email" | "mqtt" | "webhook"

// The whole section (null: no alerts). Paths start with "alerts.". Values written as
// YAML text ("30", "yes") are read as the numbers and booleans they spell.
AlertsConfig parse_alerts_config(const nlohmann::json& alerts, std::vector<config::ConfigIssue>& issues);

// Rules from the API: `rules` is an array, paths are "<path>[i].<key>" ("rules[1].zone_mode").
// Sink names are checked against `sinks`; names must be unique. Strictly typed JSON.
std::vector<Rule> rules_from_json(const nlohmann::json& rules, const std::string& path,
                                  const std::vector<SinkConfig>& sinks,
                                  std::vector<config::ConfigIssue>& issues);
nlohmann::json rule_to_json(const Rule& rule);
// Type and options; secrets (password, secret) as "***" when `redact_secrets` (and
// whatever password a URL carries).
nlohmann::json sink_to_json(const SinkConfig& sink, bool redact_secrets);

} // namespace tilescope::alerts
