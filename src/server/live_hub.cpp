#include "live_hub.h"

#include "api_json.h"
#include "websocket_session.h"

namespace tilescope::server {

std::vector<std::shared_ptr<WebSocketSession>> LiveHub::live_sessions() {
  std::vector<std::shared_ptr<WebSocketSession>> live;
  std::erase_if(sessions_, [&](const std::weak_ptr<WebSocketSession>& weak) {
    auto session = weak.lock();
    if (!session) return true;
    live.push_back(std::move(session));
    return false;
  });
  return live;
}

bool LiveHub::has_sessions() const {
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  for (const auto& weak : sessions_) {
    if (!weak.expired()) return true;
  }
  return false;
}

void LiveHub::add(const std::shared_ptr<WebSocketSession>& session) {
  std::lock_guard lock(mutex_);
  if (closed_) return;
  live_sessions();
  sessions_.push_back(session);
}

void LiveHub::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  sessions_.clear();
}

// The push happens under mutex_ so close() cannot return while a camera thread is
// still posting to a session's executor; a push only locks the session's queue.
void LiveHub::on_frame(const pipeline::FrameResult& frame) {
  if (!has_sessions()) return; // no viewer: no serialisation
  auto message = std::make_shared<const std::string>(frame_message(frame));
  std::lock_guard lock(mutex_);
  if (closed_) return;
  for (const auto& session : live_sessions())
    session->push_frame(frame.camera_id, message);
}

void LiveHub::on_event(const pipeline::EventNotice& notice) {
  if (!has_sessions()) return;
  auto message = std::make_shared<const std::string>(event_message(notice));
  std::lock_guard lock(mutex_);
  if (closed_) return;
  for (const auto& session : live_sessions())
    session->push_event(message);
}

void LiveHub::push_status(const std::shared_ptr<const std::string>& message) {
  std::lock_guard lock(mutex_);
  if (closed_) return;
  for (const auto& session : live_sessions())
    session->push_status(message);
}

} // namespace tilescope::server
