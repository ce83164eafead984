// The alert as an email: subject, a plain-text and an HTML body written from the
// payload, and the snapshot both inline in the HTML and attached.
//
//   multipart/mixed
//   ├── multipart/alternative
//   │   ├── text/plain
//   │   └── multipart/related
//   │       ├── text/html          <img src="cid:snapshot-...@tilescope">
//   │       └── image/jpeg         inline, Content-ID
//   └── image/jpeg                 attachment, event-<id>.jpg
//
// Without a snapshot the image parts are left out. Lines end in CRLF; bodies are
// base64 (UTF-8 text of any line length is safe); non-ASCII headers are RFC 2047 words.
#pragma once

#include "tilescope/alerts/alerts_config.h"
#include "tilescope/core/html_escape.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tilescope::alerts {

struct EmailMessage {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string text;
  std::string html;
  std::string delivery_id;   // X-Tilescope-Delivery-Id, and the Message-ID
  std::int64_t event_id = 0; // X-Tilescope-Event-Id (left out when 0: a test alert)
  // X-Tilescope-Frame-Time: the payload's frame_ms (Unix epoch ms of the frame that
  // fired the rule), left out when null. Lets a receiver measure frame -> inbox latency.
  std::optional<std::int64_t> frame_ms;
  std::int64_t date_ms = 0;
  std::string jpeg;      // bytes; "" : no image parts
  std::string jpeg_name; // "event-42.jpg"
};

// Writes subject and bodies from a payload (alert_payload.h) for `options`.
EmailMessage compose_alert_email(const EmailSinkOptions& options, const nlohmann::json& payload,
                                 std::string jpeg, std::int64_t date_ms);
// The RFC 5322 message. `boundary_seed` makes the MIME boundaries unique (random in use).
std::string to_mime(const EmailMessage& message, const std::string& boundary_seed);

std::string base64_encode(std::string_view bytes, bool wrap_76);
using tilescope::html_escape; // tilescope/core/html_escape.h

} // namespace tilescope::alerts
