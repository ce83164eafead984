// The login brute-force limit, on a clock the test moves: lockout after N failures in
// the window, Retry-After rounding, reset on success, forgetting old failures,
// per-address keys (IPv6 by /64), bounded memory that keeps locked addresses.
#include "http/auth.h"
#include "http/login_limiter.h"

#include <gtest/gtest.h>

namespace tilescope::server {
namespace {

using namespace std::chrono_literals;
using Clock = LoginLimiter::Clock;

LoginLimiter::Options options(int max_failures = 3) {
  LoginLimiter::Options o;
  o.max_failures = max_failures;
  o.window = 60s;
  o.lockout = 120s;
  o.max_clients = 4;
  return o;
}

TEST(LoginLimiter, LocksAfterMaxFailuresForTheLockout) {
  LoginLimiter limiter(options());
  const Clock::time_point t0{};
  EXPECT_EQ(limiter.retry_after("10.0.0.1", t0), 0s);
  EXPECT_FALSE(limiter.failure("10.0.0.1", t0));
  EXPECT_FALSE(limiter.failure("10.0.0.1", t0 + 1s));
  EXPECT_EQ(limiter.retry_after("10.0.0.1", t0 + 1s), 0s);
  EXPECT_TRUE(limiter.failure("10.0.0.1", t0 + 2s)); // the third locks
  EXPECT_EQ(limiter.retry_after("10.0.0.1", t0 + 2s), 120s);
  // Rounded up: never "0" while locked.
  EXPECT_EQ(limiter.retry_after("10.0.0.1", t0 + 2s + 119s + 500ms), 1s);
  EXPECT_EQ(limiter.retry_after("10.0.0.1", t0 + 100s), 22s);
  // Another address is not affected.
  EXPECT_EQ(limiter.retry_after("10.0.0.2", t0 + 2s), 0s);
  // Over: a fresh window, the full count again.
  EXPECT_EQ(limiter.retry_after("10.0.0.1", t0 + 122s), 0s);
  EXPECT_FALSE(limiter.failure("10.0.0.1", t0 + 122s));
  EXPECT_FALSE(limiter.failure("10.0.0.1", t0 + 123s));
  EXPECT_TRUE(limiter.failure("10.0.0.1", t0 + 124s));
}

TEST(LoginLimiter, FailuresOutsideTheWindowAreForgotten) {
  LoginLimiter limiter(options());
  const Clock::time_point t0{};
  limiter.failure("a", t0);
  limiter.failure("a", t0 + 30s);
  // The window (60 s from the first failure) has passed: this starts a new one.
  EXPECT_FALSE(limiter.failure("a", t0 + 61s));
  EXPECT_FALSE(limiter.failure("a", t0 + 62s));
  EXPECT_EQ(limiter.retry_after("a", t0 + 62s), 0s);
  EXPECT_TRUE(limiter.failure("a", t0 + 63s));
}

TEST(LoginLimiter, SuccessClearsTheCount) {
  LoginLimiter limiter(options());
  const Clock::time_point t0{};
  limiter.failure("a", t0);
  limiter.failure("a", t0);
  limiter.success("a");
  EXPECT_FALSE(limiter.failure("a", t0));
  EXPECT_FALSE(limiter.failure("a", t0));
  EXPECT_TRUE(limiter.failure("a", t0));
}

TEST(LoginLimiter, MemoryIsBoundedAndLockedAddressesStay) {
  LoginLimiter limiter(options(/*max_failures=*/2)); // at most 4 addresses tracked
  const Clock::time_point t0{};
  EXPECT_FALSE(limiter.failure("victim", t0));
  EXPECT_TRUE(limiter.failure("victim", t0 + 1s)); // locked until t0 + 121 s
  // A flood of new addresses, one failure each: the oldest unlocked records make room,
  // the locked one stays (else a flood would unlock it).
  for (int i = 0; i < 100; ++i)
    limiter.failure("attacker" + std::to_string(i), t0 + 2s);
  EXPECT_EQ(limiter.tracked_clients(), 4u);
  EXPECT_GT(limiter.retry_after("victim", t0 + 3s).count(), 0) << "a flood of addresses unlocked the victim";
}

TEST(LoginLimiter, ClientKeys) {
  namespace ip = boost::asio::ip;
  EXPECT_EQ(client_key(ip::make_address("192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(client_key(ip::make_address("::ffff:192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(client_key(ip::make_address("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key(ip::make_address("2001:db8:1:2:ffff::1")), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key(ip::make_address("::1")), "::/64");
}

TEST(LoginLimiter, AuthRefusesUncheckedWhileLocked) {
  LoginLimiter::Options limits = options(2);
  Auth auth({}, "admin", "correct horse", limits);
  EXPECT_FALSE(auth.attempt_login("c", "admin", "wrong").token);
  Auth::LoginAttempt second = auth.attempt_login("c", "admin", "wrong");
  EXPECT_FALSE(second.token);
  EXPECT_TRUE(second.locked_now);
  // Locked: even the right password is refused, with a wait.
  Auth::LoginAttempt right = auth.attempt_login("c", "admin", "correct horse");
  EXPECT_FALSE(right.token);
  EXPECT_GT(right.retry_after.count(), 0);
  EXPECT_LE(right.retry_after, limits.lockout);
  // Another client logs in; a success clears its own count.
  EXPECT_FALSE(auth.attempt_login("d", "admin", "wrong").token);
  Auth::LoginAttempt ok = auth.attempt_login("d", "admin", "correct horse");
  ASSERT_TRUE(ok.token);
  EXPECT_TRUE(auth.check(*ok.token));
  EXPECT_FALSE(auth.attempt_login("d", "admin", "wrong").locked_now);
  EXPECT_EQ(auth.attempt_login("d", "admin", "correct horse").retry_after, 0s);
}

} // namespace
} // namespace tilescope::server
