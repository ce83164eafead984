// API authentication: static bearer tokens from the config, and session tokens handed
// out by a username/password login (the web UI). Auth is on when the config has a
// token or a username.
//
// A request presents a token in, by order of precedence: `Authorization: Bearer <t>`,
// the query (`?token=<t>`: img tags, MJPEG, WebSocket, which cannot set headers), or
// the cookie `tilescope_token` (set by login: HttpOnly, SameSite=Strict).
//
// Tokens and passwords are compared in constant time (the time does not depend on
// where the first mismatch is). Session tokens are 128 random bits from
// std::random_device (the kernel's CSPRNG on Linux), 32 hex characters, kept in
// memory only: a restart logs everyone out. Thread-safe.
#pragma once

#include "http/http_message.h"
#include "http/login_limiter.h"

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tilescope::server {

class QueryParams;

inline constexpr std::string_view kTokenCookie = "tilescope_token";

// Equal strings, in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);
// 32 lowercase hex characters from std::random_device.
std::string random_token();

class Auth {
public:
  Auth(std::vector<std::string> tokens, std::string username, std::string password,
       LoginLimiter::Options limits = {});

  bool required() const { return required_; }
  bool login_enabled() const { return !username_.empty(); }

  // The token the request presents (see above); nullopt when none.
  static std::optional<std::string> presented_token(const Request& request, const QueryParams& query);
  // A config token or a live session token.
  bool check(std::string_view token) const;
  // true when auth is off or the request presents a valid token.
  bool authorized(const Request& request, const QueryParams& query) const;

  // A new session token when username and password match; nullopt otherwise.
  std::optional<std::string> login(std::string_view username, std::string_view password);

  // login() from a client address, through the brute-force limiter (login_limiter.h):
  // while `client` is locked out nothing is compared and `retry_after` says how long
  // to wait; a failure counts against it, a success clears it.
  struct LoginAttempt {
    std::optional<std::string> token;
    std::chrono::seconds retry_after{0}; // > 0: refused, too many failures
    bool locked_now = false;             // this failure locked the client (for the log)
  };
  LoginAttempt attempt_login(std::string_view client, std::string_view username, std::string_view password);
  const LoginLimiter::Options& login_limits() const { return limiter_.options(); }
  void logout(std::string_view token);

  // Set-Cookie values: the session cookie, and one that clears it.
  static std::string session_cookie(const std::string& token);
  static std::string clear_cookie();

private:
  static constexpr std::size_t kMaxSessions = 1000;              // oldest logged out beyond this
  static constexpr std::chrono::hours kSessionLifetime{24 * 30}; // then log in again

  struct Session {
    std::string token;
    std::chrono::steady_clock::time_point created;
  };

  std::vector<std::string> tokens_;
  std::string username_;
  std::string password_;
  bool required_ = false;
  mutable std::mutex mutex_;
  std::deque<Session> sessions_; // oldest first
  LoginLimiter limiter_;
  // Serialises attempt_login: parallel guesses from one client cannot all slip in
  // before the failure that locks it is counted. Logins are rare and short.
  std::mutex attempt_mutex_;
};

} // namespace tilescope::server
