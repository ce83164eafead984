// Alerts of `tilescope serve`: events of the live pipeline in, alerts out.
//
//   auto alerts = alerts::AlertService::start(alerts_config, storage_dir + "/tilescope.db");
//   // from pipeline::Listener::on_event (a camera thread):
//   alerts->on_event(EventKind::kOpened, notice.event,
//   store.snapshot_path(notice.event.snapshot).value_or(""));
//   // optional, for rules with confirm {n, m}: from Listener::on_frame
//   alerts->observe_frame(frame.camera_name, track_ids);
//
// on_event matches the rules and queues a delivery per rule and sink in the outbox
// (one short SQLite transaction, no network) and returns. Sending happens on one
// dispatcher thread per sink ("alerts-<sink>"); a timer thread ("alerts-timer")
// re-evaluates rules waiting on time (min_duration_s, schedules) and prunes old
// deliveries. Deliveries left pending by a crash or a stop are sent after the next
// start (outbox.h: at-least-once, in order per camera and sink).
//
// Rules: the YAML's rules seed the database. While they were never edited through the
// API, a changed YAML replaces them on the next start; once they were (set_rules), the
// stored rules win and a YAML that differs is reported in the log as not applied.
//
// Thread-safe. Secrets in the sinks' options never reach a log line or an API answer.
#pragma once

#include "tilescope/alerts/alert_payload.h"
#include "tilescope/alerts/alerts_config.h"
#include "tilescope/alerts/outbox.h"
#include "tilescope/store/store.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tilescope::alerts {

struct AlertServiceOptions {
  std::string database_path; // the store's storage/tilescope.db (created when missing)
  // Wall-clock ms for rule decisions (durations, cooldowns, schedules); the default is
  // the system clock. Tests inject one. Outbox retry timing always uses the system clock.
  std::function<std::int64_t()> clock;
  // Used for links when the config has no ui_base_url ("http://127.0.0.1:8080").
  std::string fallback_ui_base_url;
  std::chrono::milliseconds tick_interval{500};
};

struct TestAlertResult {
  bool ok = false;
  std::string error;
  std::string delivery_id;
  double elapsed_ms = 0;
};

class AlertService {
public:
  // Opens the outbox (throws Error naming the database), loads the rules, connects the
  // sinks and starts their threads. `config` must be valid (parse_alerts_config
  // without issues).
  static std::unique_ptr<AlertService> start(const AlertsConfig& config, AlertServiceOptions options);
  // The same with the default options for `database_path`.
  static std::unique_ptr<AlertService> start(const AlertsConfig& config, const std::string& database_path);
  ~AlertService(); // stop()
  // Stops the threads (an in-flight send finishes first, bounded by its sink's
  // timeout) and says goodbye (MQTT "offline"). Pending deliveries stay queued. Idempotent.
  void stop();

  // --- input (camera threads; never blocks on the network, never throws) ---
  void on_event(EventKind kind, const store::EventRecord& event, const std::string& snapshot_file);
  void observe_frame(const std::string& camera, const std::vector<std::int64_t>& track_ids);

  // --- rules ---
  std::vector<Rule> rules() const;
  std::string rules_origin() const; // "config" | "api"
  // Rules already validated against sinks() (rules_from_json without issues): stored
  // (they survive restarts) and applied at once.
  void set_rules(std::vector<Rule> rules);

  // --- sinks ---
  const std::vector<SinkConfig>& sinks() const;
  nlohmann::json sink_status(const std::string& name) const; // {} for an unknown sink
  // Sends a test alert to one sink now, bypassing the outbox. nullopt: no such sink.
  std::optional<TestAlertResult> send_test(const std::string& sink);

  // --- deliveries ---
  const Outbox& outbox() const;
  RetryResult retry(const std::string& delivery_id);
  // Blocks until no delivery is pending (true) or `timeout` passed (false).
  bool wait_idle(std::chrono::milliseconds timeout) const;

  const AlertsConfig& config() const;
  std::string ui_base_url() const;

private:
  struct Impl;
  explicit AlertService(std::unique_ptr<Impl> impl);
  void handle_event(EventKind kind, const store::EventRecord& event, const std::string& snapshot_file);
  std::unique_ptr<Impl> impl_;
};

} // namespace tilescope::alerts
