// Counters of the HTTP server itself, appended to the system's /metrics:
//
//   tilescope_http_requests_total{code="2xx"}      requests answered, by status class
//   tilescope_http_connections                     open TCP connections
//   tilescope_websocket_sessions                   open WebSocket sessions
//   tilescope_websocket_messages_sent_total{type}  frame | event | status
//   tilescope_websocket_frames_dropped_total       frame messages replaced by a newer one (slow client)
//   tilescope_mjpeg_streams                        open MJPEG streams
//   tilescope_mjpeg_frames_sent_total
//   tilescope_login_failures_total                 wrong username or password
//   tilescope_login_refused_total                  logins refused by the brute-force limit (429)
//
// Lock-free: updated from any I/O thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace tilescope::server {

struct ServerMetrics {
  std::array<std::atomic<std::int64_t>, 5> requests_by_class{}; // 1xx .. 5xx
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::int64_t> websocket_sessions{0};
  std::atomic<std::int64_t> websocket_frames_sent{0};
  std::atomic<std::int64_t> websocket_events_sent{0};
  std::atomic<std::int64_t> websocket_status_sent{0};
  std::atomic<std::int64_t> websocket_frames_dropped{0};
  std::atomic<std::int64_t> mjpeg_streams{0};
  std::atomic<std::int64_t> mjpeg_frames_sent{0};
  std::atomic<std::int64_t> login_failures{0};
  std::atomic<std::int64_t> login_refused{0};

  void count_request(unsigned status_code);
  // Prometheus text exposition format 0.0.4, HELP and TYPE lines included.
  std::string prometheus_text() const;
};

} // namespace tilescope::server
