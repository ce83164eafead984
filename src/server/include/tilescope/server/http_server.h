// The HTTP side of `tilescope serve`: REST API, WebSocket push, MJPEG, /metrics and
// the web UI, over a running pipeline::System (contract: src/server/openapi.json,
// served at /api/v1/openapi.json).
//
//   auto system = pipeline::System::start(config);
//   auto server = server::HttpServer::start(*system, config.server, {});
//   std::cout << "open http://127.0.0.1:" << server->port() << "\n";
//   ...
//   server->stop();   // before system->stop(): the server calls into the system
//
// Threads: `config.threads` I/O threads run the sockets and never block; route
// handlers (which may wait on the detector, the store or a camera probe) run on a
// small worker pool of their own. Thread-safe: stop() may be called from any thread
// (not from a handler).
#pragma once

#include "tilescope/config/config.h"

#include <memory>
#include <string>

namespace tilescope::pipeline {
class System;
}
namespace tilescope::alerts {
class AlertService;
}

namespace tilescope::server {

struct ServerOptions {
  // Serve the web UI from this folder instead of the files embedded at build time
  // (development: edit web/ and reload). "" : embedded.
  std::string static_dir;
  // Threads running route handlers (detection, camera tests, store queries).
  int worker_threads = 4;
  // Alert rules, sinks and deliveries under /api/v1/alerts (issue #6); nullptr: those
  // routes answer 404. Must outlive the server.
  alerts::AlertService* alerts = nullptr;
};

class HttpServer {
public:
  // Binds config.bind:config.port (port 0: an ephemeral port, see port()) and starts
  // serving. Throws Error naming the address when it cannot listen, or when auth is
  // needed (bind not loopback) but none is configured.
  static std::unique_ptr<HttpServer> start(pipeline::System& system, const config::ServerConfig& config,
                                           ServerOptions options = {});
  ~HttpServer(); // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const; // the port actually bound
  // Closes the listener and every connection (streams and WebSockets included), joins
  // the threads. Idempotent.
  void stop();

private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace tilescope::server
