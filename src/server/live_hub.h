// The server's one pipeline::Listener: turns each processed frame and event change
// into a WebSocket message once, and hands the same bytes to every session (Beast's
// chat-multi broadcast: serialise once, copy session pointers, send outside the lock
// of the sender). Called on camera threads: builds a string and queues it, never
// waits on a socket.
#pragma once

#include "tilescope/pipeline/system.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tilescope::server {

class WebSocketSession;

class LiveHub : public pipeline::Listener {
public:
  void on_frame(const pipeline::FrameResult& frame) override;
  void on_event(const pipeline::EventNotice& notice) override;

  void add(const std::shared_ptr<WebSocketSession>& session);
  void push_status(const std::shared_ptr<const std::string>& message);
  bool has_sessions() const;
  // No deliveries after this returns (the sessions' I/O context is about to go).
  void close();

private:
  std::vector<std::shared_ptr<WebSocketSession>> live_sessions(); // prunes closed ones; mutex_ held

  mutable std::mutex mutex_;
  bool closed_ = false;
  std::vector<std::weak_ptr<WebSocketSession>> sessions_;
};

} // namespace tilescope::server
