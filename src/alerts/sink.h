// Where alerts go. One class per transport, each in its own file beside this one
// (email_sink, mqtt_sink, webhook_sink), created by make_sink from its options.
//
// send() is called by the sink's dispatcher thread (and by "send test alert" from an
// API thread): it blocks until the receiving server confirmed the alert or the sink's
// timeout passed, and must be thread-safe. It never throws; errors never carry a secret.
#pragma once

#include "tilescope/alerts/alerts_config.h"

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace tilescope::alerts {

struct OutgoingAlert {
  std::string delivery_id;
  nlohmann::json payload;      // alert_payload.h
  std::string attachment_path; // snapshot JPEG; "" : none (a file gone since is sent without)
};

struct SendResult {
  bool ok = false;
  std::string error; // when !ok: what the server said, or why it could not be reached
};

class Sink {
public:
  virtual ~Sink() = default;
  virtual SendResult send(const OutgoingAlert& alert) = 0;
  // Open events per camera and class (MQTT's <prefix>/<camera>/<class>): best effort,
  // not through the outbox; a state, not an alert. Must not block.
  virtual void publish_count(const std::string& camera, const std::string& label, int count) {}
  // Connection state and the like for GET /sinks ({} when there is nothing to say).
  virtual nlohmann::json status() const { return nlohmann::json::object(); }
  // Before destruction: leave cleanly (MQTT: "offline" on the availability topic).
  virtual void stop() {}
};

std::unique_ptr<Sink> make_email_sink(const std::string& name, const EmailSinkOptions& options);
std::unique_ptr<Sink> make_mqtt_sink(const std::string& name, const MqttSinkOptions& options);
std::unique_ptr<Sink> make_webhook_sink(const std::string& name, const WebhookSinkOptions& options);
std::unique_ptr<Sink> make_sink(const SinkConfig& config);

// "https://hooks.example.com/***" for "https://user:pw@hooks.example.com/T0/B1/secret?x=1":
// what a log line or an API answer may show of a URL. Webhook URLs often carry their
// credential in the path (Slack, Teams), so only scheme, host and port remain.
std::string url_for_display(const std::string& url);

// The snapshot file's bytes; empty when it cannot be read.
std::string read_attachment(const std::string& path);

} // namespace tilescope::alerts
