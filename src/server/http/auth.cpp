#include "http/auth.h"

#include "http/query_params.h"

#include <random>

namespace tilescope::server {

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Walk the longer string whole so the time does not tell where a difference is.
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    difference |= x ^ y;
  }
  // volatile: keep the compiler from turning the loop into an early-exit memcmp.
  volatile unsigned char result = difference;
  return result == 0;
}

std::string random_token() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device device;
  std::string token;
  token.reserve(32);
  for (int word = 0; word < 4; ++word) {
    std::uint32_t bits = device();
    for (int nibble = 0; nibble < 8; ++nibble) {
      token.push_back(kHex[bits & 0xf]);
      bits >>= 4;
    }
  }
  return token;
}

Auth::Auth(std::vector<std::string> tokens, std::string username, std::string password,
           LoginLimiter::Options limits)
    : tokens_(std::move(tokens)), username_(std::move(username)), password_(std::move(password)),
      limiter_(limits) {
  required_ = !tokens_.empty() || !username_.empty();
}

std::optional<std::string> Auth::presented_token(const Request& request, const QueryParams& query) {
  const auto authorization = request.find(http::field::authorization);
  if (authorization != request.end()) {
    const std::string_view value = view(authorization->value());
    constexpr std::string_view kBearer = "Bearer ";
    if (value.size() > kBearer.size()) {
      bool bearer = true;
      for (std::size_t i = 0; i < kBearer.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(value[i])) != std::tolower(kBearer[i])) bearer = false;
      }
      if (bearer) return std::string(value.substr(kBearer.size()));
    }
  }
  if (auto token = query.get("token")) return token;
  const auto cookie_headers = request.equal_range(http::field::cookie);
  for (auto it = cookie_headers.first; it != cookie_headers.second; ++it) {
    const std::string_view cookies = view(it->value());
    std::size_t begin = 0;
    while (begin < cookies.size()) {
      auto end = cookies.find(';', begin);
      if (end == std::string_view::npos) end = cookies.size();
      std::string_view pair = cookies.substr(begin, end - begin);
      begin = end + 1;
      while (!pair.empty() && pair.front() == ' ')
        pair.remove_prefix(1);
      if (pair.size() > kTokenCookie.size() && pair.substr(0, kTokenCookie.size()) == kTokenCookie &&
          pair[kTokenCookie.size()] == '=') {
        return std::string(pair.substr(kTokenCookie.size() + 1));
      }
    }
  }
  return std::nullopt;
}

bool Auth::check(std::string_view token) const {
  if (token.empty()) return false;
  bool ok = false;
  // Compare against every token, without stopping at a match.
  for (const std::string& candidate : tokens_)
    ok |= constant_time_equal(token, candidate);
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  for (const Session& session : sessions_) {
    if (now - session.created < kSessionLifetime) ok |= constant_time_equal(token, session.token);
  }
  return ok;
}

bool Auth::authorized(const Request& request, const QueryParams& query) const {
  if (!required_) return true;
  const auto token = presented_token(request, query);
  return token && check(*token);
}

std::optional<std::string> Auth::login(std::string_view username, std::string_view password) {
  if (username_.empty() || password_.empty()) return std::nullopt; // no empty passwords, ever
  // Both comparisons always run: the time does not say which one failed.
  const bool user_ok = constant_time_equal(username, username_);
  const bool password_ok = constant_time_equal(password, password_);
  if (!(user_ok & password_ok)) return std::nullopt;
  std::string token = random_token();
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  while (!sessions_.empty() &&
         (sessions_.size() >= kMaxSessions || now - sessions_.front().created >= kSessionLifetime)) {
    sessions_.pop_front();
  }
  sessions_.push_back({token, now});
  return token;
}

Auth::LoginAttempt Auth::attempt_login(std::string_view client, std::string_view username,
                                       std::string_view password) {
  std::lock_guard lock(attempt_mutex_);
  LoginAttempt attempt;
  attempt.retry_after = limiter_.retry_after(client);
  if (attempt.retry_after.count() > 0) return attempt;
  attempt.token = login(username, password);
  if (attempt.token) {
    limiter_.success(client);
  } else {
    attempt.locked_now = limiter_.failure(client);
  }
  return attempt;
}

void Auth::logout(std::string_view token) {
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [&](const Session& session) { return constant_time_equal(session.token, token); });
}

std::string Auth::session_cookie(const std::string& token) {
  return std::string(kTokenCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kSessionLifetime).count());
}

std::string Auth::clear_cookie() {
  return std::string(kTokenCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
}

} // namespace tilescope::server
