// Per-camera cooldowns survive a restart of the AlertService (alerts_cooldowns in
// tilescope.db): a restart within a cooldown does not alert again, and the cooldown
// still ends when it should.
#include "alerts_test_util.h"
#include "rule_engine.h"
#include "test_servers.h"
#include "tilescope/alerts/alert_service.h"

#include <atomic>
#include <gtest/gtest.h>

namespace tilescope::alerts {
namespace {

using nlohmann::json;
using namespace testing;

constexpr std::int64_t kT0 = 1715026385000;

AlertsConfig cooling_config(const SmtpServer& server) {
  return config_from({{"sinks",
                       {{{"name", "mail"},
                         {"type", "email"},
                         {"smtp_url", server.url()},
                         {"from", "nvr@example.com"},
                         {"to", {"guard@example.com"}}}}},
                      {"rules", {{{"name", "people"}, {"cooldown_per_camera_s", 60}, {"sinks", {"mail"}}}}}});
}

struct Service {
  std::atomic<std::int64_t> clock_ms{kT0};
  std::unique_ptr<AlertService> service;
  Service(const AlertsConfig& config, const std::string& db) {
    AlertServiceOptions options;
    options.database_path = db;
    options.clock = [this] { return clock_ms.load(); };
    service = AlertService::start(config, std::move(options));
  }
  void open(std::int64_t at_ms, std::int64_t id, const std::string& camera, std::int64_t track) {
    clock_ms = at_ms;
    store::EventRecord e = event(id, camera, "person");
    e.track_id = track;
    e.start_ms = e.updated_ms = at_ms;
    service->on_event(EventKind::kOpened, e, "");
  }
};

std::vector<std::int64_t> alerted_events(const Outbox& outbox) {
  DeliveryFilter all;
  std::vector<std::int64_t> ids;
  for (const Delivery& d : outbox.list(all).deliveries)
    ids.insert(ids.begin(), d.event_id); // list is newest first
  return ids;
}

TEST(CooldownRestart, ARestartWithinTheCooldownDoesNotAlertAgain) {
  SmtpServer server;
  TempDir dir;
  const AlertsConfig config = cooling_config(server);
  {
    Service first(config, dir.file("tilescope.db"));
    first.open(kT0, 1, "gate", 1);
    first.open(kT0 + 10'000, 2, "gate", 2); // in the cooldown: quiet
    ASSERT_TRUE(first.service->wait_idle(30s));
    EXPECT_EQ(alerted_events(first.service->outbox()), (std::vector<std::int64_t>{1}));
  }
  // Restarted 30 s after the alert: the pipeline's tracker numbers tracks from 1 again.
  Service second(config, dir.file("tilescope.db"));
  second.open(kT0 + 30'000, 3, "gate", 1);
  second.open(kT0 + 31'000, 4, "yard", 1); // another camera: its own cooldown
  second.open(kT0 + 61'000, 5, "gate", 2); // the cooldown has ended
  ASSERT_TRUE(second.service->wait_idle(30s));
  EXPECT_EQ(alerted_events(second.service->outbox()), (std::vector<std::int64_t>{1, 4, 5}));
  ASSERT_TRUE(server.wait_for_messages(3, 10s));
  EXPECT_EQ(server.messages().size(), 3u);
}

TEST(CooldownRestart, TheLatestMarkPerRuleAndCameraIsKept) {
  TempDir dir;
  auto outbox = Outbox::open(dir.file("tilescope.db"));
  std::vector<Delivery> none;
  outbox->enqueue(none, kT0, {{"people", "gate", kT0 + 5}, {"people", "yard", kT0}});
  outbox->enqueue(none, kT0, {{"people", "gate", kT0 + 1}}); // older: does not win
  outbox->enqueue(none, kT0, {{"people", "yard", kT0 + 9}});
  EXPECT_EQ(outbox->cooldowns(),
            (std::vector<CameraCooldown>{{"people", "gate", kT0 + 5}, {"people", "yard", kT0 + 9}}));
}

TEST(CooldownRestart, RestoredMarksOfRulesNoLongerConfiguredAreIgnored) {
  RuleEngine engine;
  Rule people = rule("people");
  people.cooldown_per_camera_s = 60;
  engine.set_rules({people});
  engine.restore_cooldowns({{"gone", "gate", kT0}, {"people", "gate", kT0}});
  store::EventRecord e = event(1, "gate", "person");
  EXPECT_TRUE(engine.on_event(EventKind::kOpened, e, "", kT0 + 59'000).empty());
  e.id = 2;
  EXPECT_EQ(engine.on_event(EventKind::kOpened, e, "", kT0 + 61'000).size(), 1u);
}

} // namespace
} // namespace tilescope::alerts
