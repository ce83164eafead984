// Brute-force protection for the login: after `max_failures` wrong passwords from one
// client address within `window`, that address is refused (429 with Retry-After) for
// `lockout`, without the password even being compared, so guessing stops paying.
// A successful login clears the address's record.
//
// Keyed by the TCP peer address, not X-Forwarded-For (which any client can write):
// behind a reverse proxy every client shares the proxy's address, and so its limit.
// Memory is bounded: at most `max_clients` addresses are tracked; beyond that the
// unlocked record that changed longest ago is dropped. Thread-safe.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace tilescope::server {

// The key a peer address is limited under: an IPv4 address as is (an IPv4-mapped IPv6
// one too), an IPv6 address by its /64 prefix, which one host usually holds whole.
std::string client_key(const boost::asio::ip::address& address);

class LoginLimiter {
public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    int max_failures = 5;
    std::chrono::seconds window{5 * 60};  // failures older than this are forgotten
    std::chrono::seconds lockout{5 * 60}; // how long a locked address is refused
    std::size_t max_clients = 10'000;
  };

  LoginLimiter() : LoginLimiter(Options{}) {}
  explicit LoginLimiter(Options options) : options_(options) {}

  // How long `client` must still wait before its next attempt; zero when it may try now.
  // Rounded up to whole seconds (what Retry-After carries), so never zero while locked.
  std::chrono::seconds retry_after(std::string_view client, Clock::time_point now = Clock::now());
  // A wrong password from `client`; returns whether this failure locked it.
  bool failure(std::string_view client, Clock::time_point now = Clock::now());
  // A successful login: forgets the client's failures.
  void success(std::string_view client);

  const Options& options() const { return options_; }
  std::size_t tracked_clients() const;

private:
  struct Record {
    int failures = 0;
    Clock::time_point first_failure; // start of the current window
    Clock::time_point locked_until;  // in the past when not locked
    Clock::time_point touched;
  };
  void evict_one(Clock::time_point now);

  Options options_;
  mutable std::mutex mutex_;
  std::map<std::string, Record, std::less<>> records_;
};

} // namespace tilescope::server
