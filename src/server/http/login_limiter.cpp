#include "http/login_limiter.h"

#include <algorithm>

namespace tilescope::server {

std::string client_key(const boost::asio::ip::address& address) {
  if (address.is_v4()) return address.to_string();
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

std::chrono::seconds LoginLimiter::retry_after(std::string_view client, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto it = records_.find(client);
  if (it == records_.end() || it->second.locked_until <= now) return std::chrono::seconds(0);
  const auto left = it->second.locked_until - now;
  // Round up: "Retry-After: 0" while still locked would invite an immediate retry.
  return std::chrono::ceil<std::chrono::seconds>(left);
}

bool LoginLimiter::failure(std::string_view client, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = records_.find(client);
  if (it == records_.end()) {
    if (records_.size() >= options_.max_clients) evict_one(now);
    it = records_.emplace(std::string(client), Record{}).first;
  }
  Record& record = it->second;
  record.touched = now;
  if (record.locked_until > now) return false; // already locked (a request that raced the lock)
  if (record.failures == 0 || now - record.first_failure >= options_.window) {
    record.failures = 0; // a new window
    record.first_failure = now;
  }
  if (++record.failures < options_.max_failures) return false;
  record.failures = 0; // after the lockout the client starts a fresh window
  record.locked_until = now + options_.lockout;
  return true;
}

void LoginLimiter::success(std::string_view client) {
  std::lock_guard lock(mutex_);
  const auto it = records_.find(client);
  if (it != records_.end()) records_.erase(it);
}

std::size_t LoginLimiter::tracked_clients() const {
  std::lock_guard lock(mutex_);
  return records_.size();
}

void LoginLimiter::evict_one(Clock::time_point now) {
  // Linear, but only once max_clients distinct addresses have failed: rare and bounded.
  // A locked address goes last, so a flood of new addresses cannot unlock it.
  auto victim = records_.end();
  bool victim_locked = true;
  for (auto it = records_.begin(); it != records_.end(); ++it) {
    const bool locked = it->second.locked_until > now;
    if (victim == records_.end() || (victim_locked && !locked) ||
        (locked == victim_locked && it->second.touched < victim->second.touched)) {
      victim = it;
      victim_locked = locked;
    }
  }
  if (victim != records_.end()) records_.erase(victim);
}

} // namespace tilescope::server
