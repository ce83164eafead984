#include "http/outbound_queue.h"

namespace tilescope::server {

bool OutboundQueue::push_frame(std::int64_t camera_id, std::shared_ptr<const std::string> message) {
  if (subscription_ && !subscription_->count(camera_id)) return false;
  auto& slot = frames_[camera_id];
  const bool replaced = slot != nullptr;
  slot = std::move(message);
  return replaced;
}

bool OutboundQueue::push_event(std::shared_ptr<const std::string> message) {
  if (events_.size() >= max_events_) return false;
  events_.push_back(std::move(message));
  return true;
}

void OutboundQueue::push_status(std::shared_ptr<const std::string> message) { status_ = std::move(message); }

void OutboundQueue::subscribe(std::optional<std::set<std::int64_t>> cameras) {
  subscription_ = std::move(cameras);
  if (subscription_)
    std::erase_if(frames_, [&](const auto& item) { return !subscription_->count(item.first); });
}

std::optional<OutboundQueue::Item> OutboundQueue::pop() {
  if (!events_.empty()) {
    Item item{std::move(events_.front()), Kind::kEvent};
    events_.pop_front();
    return item;
  }
  if (status_) {
    Item item{std::move(status_), Kind::kStatus};
    status_.reset();
    return item;
  }
  if (frames_.empty()) return std::nullopt;
  auto it = frames_.upper_bound(last_frame_camera_);
  if (it == frames_.end()) it = frames_.begin();
  last_frame_camera_ = it->first;
  Item item{std::move(it->second), Kind::kFrame};
  frames_.erase(it);
  return item;
}

void OutboundQueue::clear() {
  events_.clear();
  status_.reset();
  frames_.clear();
}

} // namespace tilescope::server
