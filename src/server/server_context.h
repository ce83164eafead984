// What the sessions of one HttpServer share. Owned by HttpServer::Impl; every session
// holds a reference and is gone (or its I/O context stopped) before it is destroyed.
#pragma once

#include "http/dispatcher.h"
#include "http/server_metrics.h"

#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace tilescope::pipeline {
class System;
}

namespace tilescope::server {

class LiveHub;

// A connection that stop() must be able to close from another thread.
class Closable {
public:
  virtual ~Closable() = default;
  virtual void close() = 0; // thread-safe: posts to the session's strand
  // Closes the socket at once. Only while no thread runs the I/O context (stop(),
  // after the threads are joined): the peer must see the end now, not when the
  // io_context is destroyed with the handlers that still hold the session.
  virtual void abort() = 0;
};

// Every open connection, weakly: closing them all is how stop() ends streams that
// would otherwise run forever.
class SessionRegistry {
public:
  void add(const std::shared_ptr<Closable>& session);
  void close_all(); // close() each open session
  void abort_all(); // abort() each open session (see Closable::abort)

private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<Closable>> sessions_;
};

struct ServerContext {
  Dispatcher& dispatcher;
  pipeline::System& system;
  ServerMetrics& metrics;
  LiveHub& hub;
  SessionRegistry& sessions;
  boost::asio::thread_pool& workers; // route handlers: may block (detector, store, camera probes)
  boost::asio::thread_pool& live; // short calls for streams (MJPEG polls, status): never starved by uploads
  std::uint64_t body_limit = 0;   // bytes (server.max_upload_mb)
};

} // namespace tilescope::server
