// The alert every sink sends: one JSON document, schema version 1 (stable: fields are
// only ever added; a breaking change bumps "version"). It is the webhook body, the MQTT
// message on <prefix>/events, and what the email's subject and body are written from.
//
//   {"version": 1, "type": "new" | "end" | "test", "delivery_id": "8c1e...-...",
//    "rule": {"name": "knife at gate", "severity": "critical"},
//    "event": {"id": 42, "camera": "gate", "camera_id": 1, "label": "knife", "class_id": 43,
//              "score": 0.91, "start_ms": ..., "end_ms": null, "duration_s": 3.2,
//              "box": [x1, y1, x2, y2], "frame": [w, h], "zones": ["door"], "track_id": 7},
//    "time": "2024-05-06T22:13:05.120+02:00", "time_local": "2024-05-06 22:13:05 CEST",
//    "url": "<ui_base_url>/#/events/42", "snapshot_url": "<ui_base_url>/api/v1/events/42/snapshot.jpg",
//    "has_snapshot": true, "frame_ms": 1715026386620}
//
// "time" is the event's start in the local time zone; "url" and "snapshot_url" are null
// when no ui_base_url is configured. "frame_ms" (added later in version 1): Unix epoch ms
// at which the camera frame that fired the rule was decoded (for a rule without
// duration or confirm conditions, the frame in which the event was confirmed); null when
// the rule fired on time passing (min_duration_s, a schedule window opening), on confirm
// {n, m}, at the event's end, or for a test alert. Receivers can measure end-to-end
// latency from it.
#pragma once

#include "tilescope/alerts/alerts_config.h"
#include "tilescope/store/store.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace tilescope::alerts {

constexpr int kPayloadVersion = 1;

// What happened to an event of the live pipeline (pipeline::EventNotice::Kind).
enum class EventKind { kOpened, kUpdated, kClosed };
const char* to_string(EventKind kind); // "opened" | "updated" | "closed"

enum class AlertType {
  kNew,  // a rule matched an event
  kEnd,  // that event ended (the rule asked for notify_on_end): final best snapshot
  kTest, // "send test alert"
};
const char* to_string(AlertType type); // "new" | "end" | "test"

// `frame_ms`: the decode time of the camera frame whose event notice fired the rule
// ("frame_ms" in the payload, null when none: a rule fired by time passing, a test).
nlohmann::json make_payload(AlertType type, const std::string& delivery_id, const Rule& rule,
                            const store::EventRecord& event, bool has_snapshot,
                            const std::string& ui_base_url,
                            std::optional<std::int64_t> frame_ms = std::nullopt);

// Subject templates: {camera} {label} {score} {severity} {rule} {time} {zones} {event_id}
// {type}; "{{" and "}}" are literal braces. Values come from a payload.
std::string render_template(const std::string& text, const nlohmann::json& payload);
// Why a template cannot be rendered ("unknown placeholder {camra} (known: ...)"), or nullopt.
std::optional<std::string> template_error(const std::string& text);

// Wall-clock milliseconds in the local time zone (TZ): "2024-05-06 22:13:05 CEST".
std::string format_local_time(std::int64_t ms);
// ISO 8601 with the local offset: "2024-05-06T22:13:05.120+02:00".
std::string iso8601_local(std::int64_t ms);

} // namespace tilescope::alerts
