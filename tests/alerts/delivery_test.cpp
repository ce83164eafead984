// The whole path through AlertService: rules, outbox, dispatcher, email to a real SMTP
// server; the server down for a while; restarts; kill -9 in the middle of a send.
#include "alerts_test_util.h"
#include "test_servers.h"
#include "tilescope/alerts/alert_service.h"

#include <atomic>
#include <filesystem>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <map>
#include <set>

namespace tilescope::alerts {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace testing;

json email_sink(const SmtpServer& server) {
  return {{"name", "mail"},
          {"type", "email"},
          {"smtp_url", server.url()},
          {"from", "nvr@example.com"},
          {"to", {"guard@example.com"}},
          {"timeout_s", 10}};
}

AlertsConfig mail_everything(const SmtpServer& server, json rule_extra = json::object()) {
  json rule = {{"name", "all"}, {"sinks", {"mail"}}};
  rule.update(rule_extra);
  return config_from({{"sinks", {email_sink(server)}},
                      {"rules", {rule}},
                      {"outbox", {{"backoff_initial_s", 0.2}, {"backoff_max_s", 1}}},
                      {"ui_base_url", "https://nvr.example.com"}});
}

// X-Tilescope-Delivery-Id of a raw message (the header is written on one line).
std::string delivery_id_of(const std::string& raw) {
  const std::string key = "X-Tilescope-Delivery-Id: ";
  const auto at = raw.find(key);
  if (at == std::string::npos) return "";
  return raw.substr(at + key.size(), raw.find("\r\n", at) - at - key.size());
}

// Delivery id -> (camera, event id), from the outbox.
std::map<std::string, std::pair<std::string, std::int64_t>> queued(const Outbox& outbox) {
  DeliveryFilter all;
  all.limit = 500;
  std::map<std::string, std::pair<std::string, std::int64_t>> out;
  for (const Delivery& d : outbox.list(all).deliveries)
    out[d.id] = {d.camera, d.event_id};
  return out;
}

// Event ids per camera in the order the SMTP server accepted them.
std::map<std::string, std::vector<std::int64_t>> arrival_order(const SmtpServer& server,
                                                               const Outbox& outbox) {
  const auto ids = queued(outbox);
  std::map<std::string, std::vector<std::int64_t>> order;
  for (const auto& message : server.messages()) {
    const auto it = ids.find(delivery_id_of(message.raw));
    if (it != ids.end()) order[it->second.first].push_back(it->second.second);
  }
  return order;
}

TEST(DeliveryOutage, SmtpDownForAWhileThenBackEveryAlertArrivesInOrderPerCamera) {
  SmtpServer server;
  server.stop();
  TempDir dir;
  auto service = AlertService::start(mail_everything(server), dir.file("tilescope.db"));
  // 4 cameras, 5 events each, interleaved.
  for (int i = 0; i < 20; ++i)
    service->on_event(EventKind::kOpened, event(i + 1, "cam" + std::to_string(i % 4), "person"), "");
  ASSERT_TRUE(wait_until(
      [&] {
        DeliveryFilter failing;
        failing.limit = 500;
        for (const Delivery& d : service->outbox().list(failing).deliveries)
          if (d.attempts >= 2) return true;
        return false;
      },
      20s))
      << "the dispatcher keeps trying while the server is down";
  const auto waiting = service->outbox().list({});
  EXPECT_EQ(service->outbox().counts().pending, 20);
  bool has_error = false;
  for (const Delivery& d : waiting.deliveries)
    has_error |= !d.last_error.empty();
  EXPECT_TRUE(has_error);

  server.start();
  ASSERT_TRUE(service->wait_idle(60s)) << service->outbox().counts().pending << " still pending";
  ASSERT_TRUE(server.wait_for_messages(20, 10s));
  EXPECT_EQ(server.messages().size(), 20u) << "every alert once";
  const auto order = arrival_order(server, service->outbox());
  ASSERT_EQ(order.size(), 4u);
  for (int camera = 0; camera < 4; ++camera) {
    std::vector<std::int64_t> expected;
    for (int i = camera; i < 20; i += 4)
      expected.push_back(i + 1);
    EXPECT_EQ(order.at("cam" + std::to_string(camera)), expected) << "cam" << camera;
  }
  EXPECT_EQ(service->outbox().counts().sent, 20);
}

TEST(DeliveryRestart, PendingDeliveriesAreSentAfterARestart) {
  SmtpServer server;
  server.stop();
  TempDir dir;
  {
    auto service = AlertService::start(mail_everything(server), dir.file("tilescope.db"));
    for (int i = 0; i < 3; ++i)
      service->on_event(EventKind::kOpened, event(i + 1, "gate", "person"), "");
  }
  server.start();
  auto service = AlertService::start(mail_everything(server), dir.file("tilescope.db"));
  ASSERT_TRUE(service->wait_idle(30s));
  ASSERT_TRUE(server.wait_for_messages(3, 10s));
  EXPECT_EQ(arrival_order(server, service->outbox()).at("gate"), (std::vector<std::int64_t>{1, 2, 3}));
}

// A clock the test moves: cooldowns and schedules see it, nothing else does.
struct ManualClock {
  std::atomic<std::int64_t> ms{0};
  std::function<std::int64_t()> fn() {
    return [this] { return ms.load(); };
  }
};

std::int64_t local_ms(int year, int month, int day, int hour, int minute) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_isdst = -1;
  return static_cast<std::int64_t>(mktime(&tm)) * 1000;
}

TEST(DeliveryRules, CooldownAndTimeWindowSuppressWhatTheyShouldWithAnInjectedClock) {
  setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
  tzset();
  SmtpServer server;
  TempDir dir;
  ManualClock clock;
  const AlertsConfig config = mail_everything(
      server,
      {{"cooldown_per_camera_s", 60},
       {"notify_on_end", true},
       {"schedule", {{{"days", {"mon", "tue", "wed", "thu", "fri"}}, {"from", "22:00"}, {"to", "06:00"}}}}});
  auto service = AlertService::start(config, [&] {
    AlertServiceOptions options;
    options.database_path = dir.file("tilescope.db");
    options.clock = clock.fn();
    return options;
  }());
  const auto at = [&](std::int64_t ms, EventKind kind, store::EventRecord e) {
    clock.ms = ms;
    if (kind == EventKind::kOpened) e.start_ms = ms;
    e.updated_ms = ms;
    if (kind == EventKind::kClosed) e.end_ms = ms;
    service->on_event(kind, e, "");
  };
  // Monday 2024-05-06: 21:00 outside the window; 23:00 fires; 23:00:30 in the cooldown;
  // 23:01:30 fires again; Tuesday 05:30 still Monday's window; Saturday 23:00 no window.
  at(local_ms(2024, 5, 6, 21, 0), EventKind::kOpened, event(1, "gate", "person"));
  at(local_ms(2024, 5, 6, 23, 0), EventKind::kOpened, event(2, "gate", "person"));
  at(local_ms(2024, 5, 6, 23, 0) + 30'000, EventKind::kOpened, event(3, "gate", "person"));
  at(local_ms(2024, 5, 6, 23, 0) + 90'000, EventKind::kOpened, event(4, "gate", "person"));
  store::EventRecord ended = event(2, "gate", "person");
  ended.start_ms = local_ms(2024, 5, 6, 23, 0);
  at(local_ms(2024, 5, 6, 23, 0) + 95'000, EventKind::kClosed, ended);
  at(local_ms(2024, 5, 7, 5, 30), EventKind::kOpened, event(5, "yard", "person"));
  at(local_ms(2024, 5, 11, 23, 0), EventKind::kOpened, event(6, "yard", "person"));
  ASSERT_TRUE(service->wait_idle(30s));

  std::vector<std::pair<std::int64_t, std::string>> sent;
  DeliveryFilter all;
  for (const Delivery& d : service->outbox().list(all).deliveries)
    sent.insert(sent.begin(), {d.event_id, d.type});
  EXPECT_EQ(sent, (std::vector<std::pair<std::int64_t, std::string>>{
                      {2, "new"}, {4, "new"}, {2, "end"}, {5, "new"}}));
  ASSERT_TRUE(server.wait_for_messages(4, 10s));
  json end_mail;
  for (const auto& message : server.messages()) {
    const json parsed = parse_mime(message.raw);
    if (parsed["headers"]["Subject"].get<std::string>().find("(ended)") != std::string::npos)
      end_mail = parsed;
  }
  ASSERT_FALSE(end_mail.is_null()) << "the end of event 2 is mailed";
  EXPECT_THAT(end_mail["text"].get<std::string>(), HasSubstr("2024-05-06 23:00:00 CEST"));
  EXPECT_THAT(end_mail["text"].get<std::string>(), HasSubstr("Duration:  95.00 s"));
  unsetenv("TZ");
  tzset();
}

// kill -9 while the SMTP server holds a message without answering: after a restart
// every alert arrives; only the one in flight at the kill may arrive twice.
TEST(CrashKill9, KilledMidSendEveryDeliveryArrivesOnlyTheInFlightOneTwice) {
  SmtpServer server({.tls = SmtpOptions::Tls::kNone, .auth = "", .hang_on = 3});
  TempDir dir;
  const std::string db = dir.file("tilescope.db");
  const json sink = email_sink(server);
  write_file(dir.file("snap.jpg"), fake_jpeg(10000, 9));
  Process child({ALERTS_TEST_CHILD, "--db", db, "--sink-json", sink.dump(), "--events", "8", "--cameras", "2",
                 "--snapshot", dir.file("snap.jpg"), "--ready", dir.file("ready")},
                dir.file("child.log"));
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(server.dir() + "/hanging"); }, 30s))
      << read_file(dir.file("child.log"));
  ASSERT_TRUE(std::filesystem::exists(dir.file("ready")));
  child.kill_now();
  const std::string in_flight = delivery_id_of(server.messages().back().raw);
  ASSERT_FALSE(in_flight.empty());

  const AlertsConfig config =
      config_from({{"sinks", {sink}}, {"rules", {{{"name", "all"}, {"sinks", {"mail"}}}}}});
  auto service = AlertService::start(config, db);
  ASSERT_TRUE(service->wait_idle(60s));
  const auto ids = queued(service->outbox());
  ASSERT_EQ(ids.size(), 8u);
  std::map<std::string, int> received;
  for (const auto& message : server.messages())
    ++received[delivery_id_of(message.raw)];
  for (const auto& [id, where] : ids) {
    EXPECT_GE(received[id], 1) << "lost: event " << where.second;
    EXPECT_LE(received[id], id == in_flight ? 2 : 1) << "duplicated: event " << where.second;
  }
  EXPECT_EQ(received[in_flight], 2)
      << "the server kept the in-flight message, so the resend is its duplicate";
  // Order per camera holds across the crash (the duplicate aside).
  for (const auto& [camera, events] : arrival_order(server, service->outbox())) {
    std::vector<std::int64_t> unique;
    for (std::int64_t e : events)
      if (std::find(unique.begin(), unique.end(), e) == unique.end()) unique.push_back(e);
    EXPECT_TRUE(std::is_sorted(unique.begin(), unique.end())) << camera;
  }
}

} // namespace
} // namespace tilescope::alerts
