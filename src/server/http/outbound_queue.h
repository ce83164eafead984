// What a WebSocket client has yet to receive, bounded per kind (issue #5: "slow
// clients: frame messages are dropped (newest kept), event messages are never
// dropped"):
//   frame   one slot per camera; a newer frame replaces an unsent one;
//   event   FIFO; past `max_events` the queue reports overflow and the session
//           disconnects the client (losing events silently would be worse);
//   status  one slot, newest kept.
// pop() order: events, then status, then frames round-robin over cameras (a busy
// camera cannot starve the others). Not thread-safe: the session locks around it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace tilescope::server {

class OutboundQueue {
public:
  enum class Kind { kEvent, kStatus, kFrame };
  struct Item {
    std::shared_ptr<const std::string> message;
    Kind kind;
  };

  explicit OutboundQueue(std::size_t max_events) : max_events_(max_events) {}

  // true when this replaced an unsent frame of the camera (a dropped frame). Frames of
  // cameras outside the subscription are ignored.
  bool push_frame(std::int64_t camera_id, std::shared_ptr<const std::string> message);
  // false on overflow (the event is not queued).
  bool push_event(std::shared_ptr<const std::string> message);
  void push_status(std::shared_ptr<const std::string> message);
  // nullopt: every camera. Drops queued frames of cameras no longer subscribed.
  void subscribe(std::optional<std::set<std::int64_t>> cameras);

  std::optional<Item> pop();
  bool empty() const { return events_.empty() && !status_ && frames_.empty(); }
  void clear();

private:
  std::size_t max_events_;
  std::deque<std::shared_ptr<const std::string>> events_;
  std::shared_ptr<const std::string> status_;
  std::map<std::int64_t, std::shared_ptr<const std::string>> frames_; // newest per camera
  std::optional<std::set<std::int64_t>> subscription_;
  std::int64_t last_frame_camera_ = 0; // round-robin cursor
};

} // namespace tilescope::server
