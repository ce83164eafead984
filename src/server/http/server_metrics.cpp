#include "http/server_metrics.h"

namespace tilescope::server {
namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const char* name, const std::string& labels, std::int64_t value) {
  out += name;
  out += labels;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

} // namespace

void ServerMetrics::count_request(unsigned status_code) {
  const unsigned klass = status_code / 100;
  if (klass >= 1 && klass <= 5) requests_by_class[klass - 1].fetch_add(1, std::memory_order_relaxed);
}

std::string ServerMetrics::prometheus_text() const {
  std::string out;
  family(out, "tilescope_http_requests_total", "counter", "HTTP requests answered, by status class.");
  for (int klass = 1; klass <= 5; ++klass) {
    sample(out, "tilescope_http_requests_total", "{code=\"" + std::to_string(klass) + "xx\"}",
           requests_by_class[klass - 1].load(std::memory_order_relaxed));
  }
  family(out, "tilescope_http_connections", "gauge", "Open HTTP connections (streams included).");
  sample(out, "tilescope_http_connections", "", connections.load());
  family(out, "tilescope_websocket_sessions", "gauge", "Open WebSocket sessions on /api/v1/ws.");
  sample(out, "tilescope_websocket_sessions", "", websocket_sessions.load());
  family(out, "tilescope_websocket_messages_sent_total", "counter", "WebSocket messages sent, by type.");
  sample(out, "tilescope_websocket_messages_sent_total", "{type=\"frame\"}", websocket_frames_sent.load());
  sample(out, "tilescope_websocket_messages_sent_total", "{type=\"event\"}", websocket_events_sent.load());
  sample(out, "tilescope_websocket_messages_sent_total", "{type=\"status\"}", websocket_status_sent.load());
  family(out, "tilescope_websocket_frames_dropped_total", "counter",
         "Frame messages replaced by a newer frame of the same camera before a slow client took them.");
  sample(out, "tilescope_websocket_frames_dropped_total", "", websocket_frames_dropped.load());
  family(out, "tilescope_mjpeg_streams", "gauge", "Open MJPEG streams.");
  sample(out, "tilescope_mjpeg_streams", "", mjpeg_streams.load());
  family(out, "tilescope_mjpeg_frames_sent_total", "counter", "JPEG frames sent on MJPEG streams.");
  sample(out, "tilescope_mjpeg_frames_sent_total", "", mjpeg_frames_sent.load());
  family(out, "tilescope_login_failures_total", "counter", "Logins with a wrong username or password.");
  sample(out, "tilescope_login_failures_total", "", login_failures.load());
  family(out, "tilescope_login_refused_total", "counter",
         "Logins refused unchecked (429) because the client failed too often.");
  sample(out, "tilescope_login_refused_total", "", login_refused.load());
  return out;
}

} // namespace tilescope::server
