// The durable outbox: every alert to every sink is a row in SQLite before anything is
// sent, and is marked sent only after the sink confirmed it (the SMTP server accepted
// the message, the webhook answered 2xx, the MQTT broker acknowledged). A crash between
// the two sends that one delivery again on restart: at-least-once, with the delivery id
// sent along so receivers can drop the duplicate.
//
// The tables live in the store's database file (storage/tilescope.db) on their own
// connection, WAL mode: alerts_outbox, alerts_rules (rules edited through the API),
// alerts_cooldowns (when each rule last fired per camera) and alerts_meta (schema
// version); the store's tables and user_version are not touched.
//
// Order: per sink and camera, deliveries go out in the order they were queued; a
// failing head (waiting for its retry) holds back the later ones of that camera and
// sink only. A failed attempt waits backoff_initial_s * 2^(attempts-1), at most
// backoff_max_s; after max_attempts attempts, or give_up_after_s since it was queued,
// the delivery is failed (with its last error) and the next one goes.
//
// Thread-safe: one connection behind a mutex; every change is one short transaction.
#pragma once

#include "tilescope/alerts/alerts_config.h"

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tilescope::alerts {

enum class DeliveryState { kPending, kSent, kFailed };
const char* to_string(DeliveryState state); // "pending" | "sent" | "failed"
std::optional<DeliveryState> parse_delivery_state(std::string_view text);

struct Delivery {
  std::string id;       // random, UUID form: X-Tilescope-Delivery-Id, "delivery_id" in the payload
  std::int64_t seq = 0; // queueing order (set by the outbox)
  std::string rule;
  std::string sink;
  std::string camera;
  std::int64_t event_id = 0;
  std::string type;       // "new" | "end" (AlertType)
  nlohmann::json payload; // alert_payload.h
  std::string attachment; // absolute path of the snapshot JPEG; "" : none
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;
  std::string last_error; // of the latest failed attempt
  std::int64_t created_ms = 0;
  std::int64_t queued_ms = 0;              // created, or retried by hand: the give-up age counts from here
  std::optional<std::int64_t> finished_ms; // sent or failed
};
// The API's view: every field (payload included; it holds no secrets).
nlohmann::json delivery_to_json(const Delivery& delivery);
// A random id in UUID v4 form.
std::string new_delivery_id();

struct DeliveryFilter {
  std::optional<DeliveryState> state;
  std::optional<std::string> camera;
  std::optional<std::string> sink;
  std::optional<std::string> rule;
  std::optional<std::int64_t> event_id;
  int limit = 50; // 1..500
  int offset = 0;
};

struct DeliveryPage {
  std::vector<Delivery> deliveries; // newest first
  std::int64_t total = 0;           // matching the filter, ignoring limit/offset
};

struct DeliveryCounts {
  std::int64_t pending = 0, sent = 0, failed = 0;
};

enum class RetryResult { kQueued, kNotFound, kNotFailed };

// A rule fired on a camera at fired_ms (the rule engine's clock): what
// cooldown_per_camera_s counts from, kept so a restart within a cooldown stays quiet.
struct CameraCooldown {
  std::string rule;
  std::string camera;
  std::int64_t fired_ms = 0;
  friend bool operator==(const CameraCooldown&, const CameraCooldown&) = default;
};

class Outbox {
public:
  // Opens (creating) the database file and the tables. Throws Error naming the path.
  static std::unique_ptr<Outbox> open(const std::string& database_path);
  ~Outbox();

  // Stores new deliveries in one transaction: sets id (when empty), seq, state pending,
  // attempts 0, created_ms = queued_ms = next_attempt_ms = now_ms. `cooldowns` are
  // recorded in the same transaction (per rule and camera, the latest fired_ms kept), so
  // a crash cannot keep the alert and lose its cooldown, or the other way round.
  void enqueue(std::vector<Delivery>& deliveries, std::int64_t now_ms,
               const std::vector<CameraCooldown>& cooldowns = {});
  // Every cooldown mark recorded (one per rule and camera that ever fired with a
  // per-camera cooldown).
  std::vector<CameraCooldown> cooldowns() const;

  // Per camera, the oldest pending delivery of `sink` when it is due (next_attempt_ms <=
  // now_ms), in queueing order, at most `limit`.
  std::vector<Delivery> due_heads(const std::string& sink, std::int64_t now_ms, int limit) const;
  // When the next head of `sink` is due; nullopt when nothing is pending.
  std::optional<std::int64_t> next_due_ms(const std::string& sink) const;

  // The sink confirmed it. False when the delivery was not pending (already done).
  bool mark_sent(const std::string& id, std::int64_t now_ms);
  // A failed attempt: schedules the retry, or fails the delivery when `settings` say to
  // give up. Returns the state it is left in.
  DeliveryState mark_attempt_failed(const std::string& id, const std::string& error, std::int64_t now_ms,
                                    const OutboxSettings& settings);
  // Pending deliveries of sinks no longer configured are failed ("sink ... is not
  // configured"), so they do not wait forever. Returns how many.
  int fail_unknown_sinks(const std::vector<std::string>& sinks, std::int64_t now_ms);
  // A failed delivery goes back to pending, due now, attempts kept.
  RetryResult retry(const std::string& id, std::int64_t now_ms);
  // Deletes sent and failed deliveries finished before `before_ms`. Returns how many.
  int prune(std::int64_t before_ms);

  std::optional<Delivery> get(const std::string& id) const;
  DeliveryPage list(const DeliveryFilter& filter) const;
  DeliveryCounts counts() const;

  // --- rules edited through the API (the YAML's rules seed them) ---
  // The stored rules (a JSON array of rule_to_json) and where they came from
  // ("config:<hash>" or "api"); nullopt when none were ever stored.
  struct StoredRules {
    nlohmann::json rules;
    std::string origin;
  };
  std::optional<StoredRules> stored_rules() const;
  void store_rules(const nlohmann::json& rules, const std::string& origin, std::int64_t now_ms);

private:
  struct Impl;
  explicit Outbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace tilescope::alerts
