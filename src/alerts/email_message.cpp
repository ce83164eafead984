#include "email_message.h"

#include "tilescope/alerts/alert_payload.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace tilescope::alerts {

using nlohmann::json;

namespace {

constexpr const char* kCrlf = "\r\n";

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
}

// RFC 2047 encoded word for non-ASCII header text (UTF-8, base64).
std::string header_text(const std::string& text) {
  if (is_ascii(text)) return text;
  return "=?UTF-8?B?" + base64_encode(text, false) + "?=";
}

std::string rfc5322_date(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const long offset_min = tm.tm_gmtoff / 60;
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                offset_min < 0 ? '-' : '+', std::labs(offset_min) / 60, std::labs(offset_min) % 60);
  return text;
}

std::string score_text(double score) {
  char text[16];
  std::snprintf(text, sizeof text, "%.2f", score);
  return text;
}

void part_headers(std::string& out, const std::string& content_type, const std::string& extra = "") {
  out += "Content-Type: " + content_type + kCrlf;
  out += "Content-Transfer-Encoding: base64";
  out += kCrlf;
  out += extra;
  out += kCrlf;
}

} // namespace

std::string base64_encode(std::string_view bytes, bool wrap_76) {
  static constexpr char kTable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(bytes.size() * 4 / 3 + bytes.size() / 38 + 8);
  std::size_t line = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const unsigned b0 = static_cast<unsigned char>(bytes[i]);
    const unsigned b1 = i + 1 < bytes.size() ? static_cast<unsigned char>(bytes[i + 1]) : 0;
    const unsigned b2 = i + 2 < bytes.size() ? static_cast<unsigned char>(bytes[i + 2]) : 0;
    const unsigned triple = (b0 << 16) | (b1 << 8) | b2;
    out += kTable[(triple >> 18) & 63];
    out += kTable[(triple >> 12) & 63];
    out += i + 1 < bytes.size() ? kTable[(triple >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kTable[triple & 63] : '=';
    line += 4;
    if (wrap_76 && line >= 76) {
      out += kCrlf;
      line = 0;
    }
  }
  if (wrap_76 && line > 0) out += kCrlf;
  return out;
}

EmailMessage compose_alert_email(const EmailSinkOptions& options, const json& payload, std::string jpeg,
                                 std::int64_t date_ms) {
  const json& event = payload.value("event", json::object());
  const json& rule = payload.value("rule", json::object());
  const std::string type = payload.value("type", "new");
  const std::string camera = event.value("camera", "");
  const std::string label = event.value("label", "");
  const std::string event_id = std::to_string(event.value("id", std::int64_t{0}));
  const std::string url = payload.value("url", json()).is_string() ? payload["url"].get<std::string>() : "";
  std::string zones;
  for (const json& zone : event.value("zones", json::array()))
    zones += (zones.empty() ? "" : ", ") + zone.get<std::string>();

  EmailMessage message;
  message.from = options.from;
  message.to = options.to;
  message.delivery_id = payload.value("delivery_id", "");
  message.event_id = event.value("id", std::int64_t{0});
  if (const auto frame = payload.find("frame_ms"); frame != payload.end() && frame->is_number_integer())
    message.frame_ms = frame->get<std::int64_t>();
  message.date_ms = date_ms;
  message.subject = render_template(options.subject, payload);
  if (type == "end") message.subject += " (ended)";
  if (type == "test") message.subject = "[tilescope] test alert";

  std::string headline;
  if (type == "test")
    headline = "Test alert: this sink works.";
  else if (type == "end")
    headline = label + " on " + camera + ": the event ended";
  else
    headline = label + " on " + camera;

  // Rows shared by both bodies: label, then value.
  std::vector<std::pair<std::string, std::string>> rows = {
      {"Camera", camera},
      {"Object", label + " (score " + score_text(event.value("score", 0.0)) + ")"},
      {"Time", payload.value("time_local", "")},
      {"Zones", zones.empty() ? "-" : zones},
      {"Rule", rule.value("name", "") + " (" + rule.value("severity", "") + ")"},
      {"Event", "#" + event_id}};
  if (type == "end") rows.push_back({"Duration", score_text(event.value("duration_s", 0.0)) + " s"});
  if (!url.empty()) rows.push_back({"Link", url});

  message.text = headline + "\n\n";
  for (const auto& [name, value] : rows)
    message.text += name + ":" + std::string(10 - name.size(), ' ') + value + "\n";
  message.text += "\nDelivery id: " + message.delivery_id + "\n";

  const std::string severity = rule.value("severity", "warning");
  const std::string colour = severity == "critical"  ? "#b91c1c"
                             : severity == "warning" ? "#b45309"
                                                     : "#1d4ed8";
  std::string& html = message.html;
  html = "<!DOCTYPE html><html><body style=\"font-family:sans-serif;color:#111\">";
  html += "<h2 style=\"color:" + colour + ";margin:0 0 12px\">" + html_escape(headline) + "</h2>";
  if (!jpeg.empty())
    html += "<p><img src=\"cid:snapshot-" + html_escape(message.delivery_id) +
            "@tilescope\" alt=\"snapshot\" style=\"max-width:100%;border:1px solid #ccc\"></p>";
  html += "<table style=\"border-collapse:collapse\">";
  for (const auto& [name, value] : rows) {
    const std::string cell =
        name == "Link" ? "<a href=\"" + html_escape(value) + "\">Open the event</a>" : html_escape(value);
    html += "<tr><td style=\"padding:2px 12px 2px 0;color:#555\">" + name + "</td><td>" + cell + "</td></tr>";
  }
  html += "</table><p style=\"color:#888;font-size:12px\">Delivery id " + html_escape(message.delivery_id) +
          "</p></body></html>";

  message.jpeg = std::move(jpeg);
  message.jpeg_name = "event-" + event_id + ".jpg";
  return message;
}

std::string to_mime(const EmailMessage& message, const std::string& boundary_seed) {
  const std::string mixed = "=_mixed_" + boundary_seed;
  const std::string alternative = "=_alt_" + boundary_seed;
  const std::string related = "=_rel_" + boundary_seed;
  const std::string content_id = "snapshot-" + message.delivery_id + "@tilescope";
  const bool image = !message.jpeg.empty();

  std::string out;
  out += "Date: " + rfc5322_date(message.date_ms) + kCrlf;
  out += "From: " + message.from + kCrlf;
  out += "To: ";
  for (std::size_t i = 0; i < message.to.size(); ++i)
    out += (i > 0 ? ", " : "") + message.to[i];
  out += kCrlf;
  out += "Subject: " + header_text(message.subject) + kCrlf;
  out += "Message-ID: <" + message.delivery_id + "@tilescope>" + kCrlf;
  out += "X-Tilescope-Delivery-Id: " + message.delivery_id + kCrlf;
  if (message.event_id != 0) out += "X-Tilescope-Event-Id: " + std::to_string(message.event_id) + kCrlf;
  if (message.frame_ms) out += "X-Tilescope-Frame-Time: " + std::to_string(*message.frame_ms) + kCrlf;
  out += "MIME-Version: 1.0";
  out += kCrlf;
  out += "Content-Type: multipart/mixed; boundary=\"" + mixed + "\"" + kCrlf + kCrlf;
  out += "This is a MIME message.";
  out += kCrlf;

  out += "--" + mixed + kCrlf;
  out += "Content-Type: multipart/alternative; boundary=\"" + alternative + "\"" + kCrlf + kCrlf;
  out += "--" + alternative + kCrlf;
  part_headers(out, "text/plain; charset=utf-8");
  out += base64_encode(message.text, true);
  out += "--" + alternative + kCrlf;
  if (image) {
    out +=
        "Content-Type: multipart/related; boundary=\"" + related + "\"; type=\"text/html\"" + kCrlf + kCrlf;
    out += "--" + related + kCrlf;
  }
  part_headers(out, "text/html; charset=utf-8");
  out += base64_encode(message.html, true);
  if (image) {
    out += "--" + related + kCrlf;
    part_headers(out, "image/jpeg",
                 "Content-ID: <" + content_id + ">" + kCrlf + "Content-Disposition: inline; filename=\"" +
                     message.jpeg_name + "\"" + kCrlf);
    out += base64_encode(message.jpeg, true);
    out += "--" + related + "--" + kCrlf;
  }
  out += "--" + alternative + "--" + kCrlf;
  if (image) {
    out += "--" + mixed + kCrlf;
    part_headers(out, "image/jpeg; name=\"" + message.jpeg_name + "\"",
                 std::string("Content-Disposition: attachment; filename=\"") + message.jpeg_name + "\"" +
                     kCrlf);
    out += base64_encode(message.jpeg, true);
  }
  out += "--" + mixed + "--" + kCrlf;
  return out;
}

} // namespace tilescope::alerts
