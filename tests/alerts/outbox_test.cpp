#include "alerts_test_util.h"
#include "test_servers.h"
#include "tilescope/alerts/alert_service.h"
#include "tilescope/alerts/outbox.h"
#include "tilescope/store/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

namespace tilescope::alerts {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr std::int64_t kNow = 1715026385000;

Delivery delivery(const std::string& sink, const std::string& camera, std::int64_t event_id) {
  Delivery d;
  d.rule = std::string("r");
  d.sink = sink;
  d.camera = camera;
  d.event_id = event_id;
  d.type = "new";
  d.payload = {{"event", {{"id", event_id}}}};
  return d;
}

std::vector<std::int64_t> head_events(const Outbox& outbox, const std::string& sink, std::int64_t now) {
  std::vector<std::int64_t> ids;
  for (const Delivery& d : outbox.due_heads(sink, now, 100))
    ids.push_back(d.event_id);
  return ids;
}

class OutboxTest : public ::testing::Test {
protected:
  void SetUp() override { outbox_ = Outbox::open(dir_.file("tilescope.db")); }

  std::vector<Delivery> queue(std::vector<Delivery> deliveries) {
    outbox_->enqueue(deliveries, kNow);
    return deliveries;
  }

  testing::TempDir dir_;
  std::unique_ptr<Outbox> outbox_;
};

TEST_F(OutboxTest, EnqueueGivesIdsAndHeadsArePerCameraInQueueOrder) {
  const auto queued =
      queue({delivery("mail", "gate", 1), delivery("mail", "yard", 2), delivery("mail", "gate", 3),
             delivery("hook", "gate", 4), delivery("mail", "yard", 5)});
  EXPECT_EQ(queued[0].id.size(), 36u);
  EXPECT_NE(queued[0].id, queued[1].id);
  EXPECT_EQ(head_events(*outbox_, "mail", kNow), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(head_events(*outbox_, "hook", kNow), (std::vector<std::int64_t>{4}));
  EXPECT_TRUE(outbox_->mark_sent(queued[0].id, kNow + 5));
  EXPECT_FALSE(outbox_->mark_sent(queued[0].id, kNow + 6)) << "sent once only";
  EXPECT_EQ(head_events(*outbox_, "mail", kNow), (std::vector<std::int64_t>{2, 3}));
  const auto sent = outbox_->get(queued[0].id);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->state, DeliveryState::kSent);
  EXPECT_EQ(sent->attempts, 1);
  EXPECT_EQ(sent->finished_ms, kNow + 5);
  EXPECT_EQ(sent->payload["event"]["id"], 1);
}

TEST_F(OutboxTest, AFailingHeadHoldsBackItsCameraAndSinkOnly) {
  const auto queued = queue({delivery("mail", "gate", 1), delivery("mail", "gate", 2),
                             delivery("mail", "yard", 3), delivery("hook", "gate", 4)});
  OutboxSettings settings; // 2 s initial back-off
  EXPECT_EQ(outbox_->mark_attempt_failed(queued[0].id, "connection refused", kNow, settings),
            DeliveryState::kPending);
  EXPECT_EQ(head_events(*outbox_, "mail", kNow + 1), (std::vector<std::int64_t>{3}))
      << "event 2 waits behind 1";
  EXPECT_EQ(head_events(*outbox_, "hook", kNow + 1), (std::vector<std::int64_t>{4}));
  EXPECT_EQ(outbox_->next_due_ms("mail"), kNow); // yard's head is due now
  EXPECT_EQ(head_events(*outbox_, "mail", kNow + 2000), (std::vector<std::int64_t>{1, 3}));
  const auto waiting = outbox_->get(queued[0].id);
  EXPECT_EQ(waiting->last_error, "connection refused");
  EXPECT_EQ(waiting->attempts, 1);
}

TEST_F(OutboxTest, BackOffDoublesUpToItsMaximum) {
  const auto queued = queue({delivery("mail", "gate", 1)});
  OutboxSettings settings;
  settings.backoff_initial_s = 2;
  settings.backoff_max_s = 20;
  std::vector<std::int64_t> waits;
  std::int64_t now = kNow;
  for (int attempt = 0; attempt < 6; ++attempt) {
    outbox_->mark_attempt_failed(queued[0].id, "down", now, settings);
    const std::int64_t next = outbox_->get(queued[0].id)->next_attempt_ms;
    waits.push_back(next - now);
    now = next;
  }
  EXPECT_EQ(waits, (std::vector<std::int64_t>{2000, 4000, 8000, 16000, 20000, 20000}));
}

TEST_F(OutboxTest, GivesUpAfterMaxAttemptsAndThenTheNextOneGoes) {
  const auto queued = queue({delivery("mail", "gate", 1), delivery("mail", "gate", 2)});
  OutboxSettings settings;
  settings.max_attempts = 3;
  settings.backoff_initial_s = 0.001;
  EXPECT_EQ(outbox_->mark_attempt_failed(queued[0].id, "e1", kNow, settings), DeliveryState::kPending);
  EXPECT_EQ(outbox_->mark_attempt_failed(queued[0].id, "e2", kNow, settings), DeliveryState::kPending);
  EXPECT_EQ(outbox_->mark_attempt_failed(queued[0].id, "550 mailbox unavailable", kNow + 7, settings),
            DeliveryState::kFailed);
  const auto failed = outbox_->get(queued[0].id);
  EXPECT_EQ(failed->state, DeliveryState::kFailed);
  EXPECT_EQ(failed->attempts, 3);
  EXPECT_EQ(failed->last_error, "550 mailbox unavailable");
  EXPECT_EQ(failed->finished_ms, kNow + 7);
  EXPECT_EQ(head_events(*outbox_, "mail", kNow + 10), (std::vector<std::int64_t>{2}));
}

TEST_F(OutboxTest, GivesUpAtTheGiveUpAgeCountedFromQueueing) {
  const auto queued = queue({delivery("mail", "gate", 1)});
  OutboxSettings settings;
  settings.give_up_after_s = 60;
  EXPECT_EQ(outbox_->mark_attempt_failed(queued[0].id, "down", kNow + 59'000, settings),
            DeliveryState::kPending);
  EXPECT_EQ(outbox_->mark_attempt_failed(queued[0].id, "down", kNow + 60'000, settings),
            DeliveryState::kFailed);

  // A retry by hand queues it again with a fresh age, attempts kept.
  EXPECT_EQ(outbox_->retry(queued[0].id, kNow + 100'000), RetryResult::kQueued);
  const auto retried = outbox_->get(queued[0].id);
  EXPECT_EQ(retried->state, DeliveryState::kPending);
  EXPECT_EQ(retried->queued_ms, kNow + 100'000);
  EXPECT_EQ(retried->attempts, 2);
  EXPECT_FALSE(retried->finished_ms);
  EXPECT_EQ(outbox_->mark_attempt_failed(queued[0].id, "down", kNow + 110'000, settings),
            DeliveryState::kPending);
  EXPECT_EQ(outbox_->retry(queued[0].id, kNow), RetryResult::kNotFailed);
  EXPECT_EQ(outbox_->retry("no-such-id", kNow), RetryResult::kNotFound);
}

TEST_F(OutboxTest, ListFiltersPagesAndCounts) {
  const auto queued =
      queue({delivery("mail", "gate", 1), delivery("mail", "yard", 2), delivery("hook", "gate", 3)});
  outbox_->mark_sent(queued[0].id, kNow);
  DeliveryFilter filter;
  EXPECT_EQ(outbox_->list(filter).total, 3);
  EXPECT_EQ(outbox_->list(filter).deliveries.front().event_id, 3) << "newest first";
  filter.camera = "gate";
  EXPECT_EQ(outbox_->list(filter).total, 2);
  filter.state = DeliveryState::kPending;
  ASSERT_EQ(outbox_->list(filter).total, 1);
  EXPECT_EQ(outbox_->list(filter).deliveries[0].sink, "hook");
  DeliveryFilter page;
  page.limit = 1;
  page.offset = 1;
  const auto second = outbox_->list(page);
  EXPECT_EQ(second.total, 3);
  ASSERT_EQ(second.deliveries.size(), 1u);
  EXPECT_EQ(second.deliveries[0].event_id, 2);
  const DeliveryCounts counts = outbox_->counts();
  EXPECT_EQ(counts.pending, 2);
  EXPECT_EQ(counts.sent, 1);
  EXPECT_EQ(counts.failed, 0);
}

TEST_F(OutboxTest, PruneDeletesOldFinishedDeliveriesOnly) {
  const auto queued =
      queue({delivery("mail", "gate", 1), delivery("mail", "yard", 2), delivery("mail", "lot", 3)});
  outbox_->mark_sent(queued[0].id, kNow - 10'000);
  outbox_->mark_sent(queued[1].id, kNow);
  EXPECT_EQ(outbox_->prune(kNow - 1), 1);
  EXPECT_FALSE(outbox_->get(queued[0].id));
  EXPECT_TRUE(outbox_->get(queued[1].id));
  EXPECT_TRUE(outbox_->get(queued[2].id)) << "pending deliveries are never pruned";
}

TEST_F(OutboxTest, PendingDeliveriesOfARemovedSinkFail) {
  const auto queued = queue({delivery("mail", "gate", 1), delivery("old", "gate", 2)});
  EXPECT_EQ(outbox_->fail_unknown_sinks({"mail"}, kNow), 1);
  const auto failed = outbox_->get(queued[1].id);
  EXPECT_EQ(failed->state, DeliveryState::kFailed);
  EXPECT_THAT(failed->last_error, HasSubstr("\"old\" is not configured"));
  EXPECT_EQ(outbox_->get(queued[0].id)->state, DeliveryState::kPending);
}

TEST_F(OutboxTest, RulesAreStoredWithTheirOrigin) {
  EXPECT_FALSE(outbox_->stored_rules());
  const json rules =
      json::array({{{"name", "b"}, {"sinks", {"mail"}}}, {{"name", "a"}, {"sinks", {"mail"}}}});
  outbox_->store_rules(rules, "api:abc", kNow);
  const auto stored = outbox_->stored_rules();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->rules, rules) << "order kept";
  EXPECT_EQ(stored->origin, "api:abc");
  outbox_->store_rules(json::array(), "config:def", kNow);
  EXPECT_EQ(outbox_->stored_rules()->rules, json::array());
}

// The outbox lives in the store's database file: it must survive reopening and leave
// the store's tables and PRAGMA user_version alone.
TEST(OutboxFile, SurvivesReopeningAndLeavesTheStoresSchemaAlone) {
  testing::TempDir dir;
  const std::string path = dir.file("tilescope.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA user_version = 7; CREATE TABLE events(id INTEGER PRIMARY KEY); "
                         "INSERT INTO events VALUES (1);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  std::string id;
  {
    auto outbox = Outbox::open(path);
    std::vector<Delivery> deliveries{delivery("mail", "gate", 1)};
    outbox->enqueue(deliveries, kNow);
    id = deliveries[0].id;
  }
  auto outbox = Outbox::open(path);
  ASSERT_TRUE(outbox->get(id));
  EXPECT_EQ(outbox->get(id)->state, DeliveryState::kPending);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 7);
  sqlite3_finalize(stmt);
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM events", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 1);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// With the real store on the same file, in the order `tilescope serve` may open them
// (alerts first is the harder one: the store then migrates a database that has tables).
TEST(OutboxFile, SharesTheDatabaseFileWithTheRealStore) {
  testing::TempDir dir;
  const AlertsConfig config = testing::config_from(
      {{"sinks", {{{"name", "hook"}, {"type", "webhook"}, {"url", "http://127.0.0.1:9/h"}}}},
       {"rules", {{{"name", "all"}, {"sinks", {"hook"}}}}},
       {"outbox", {{"backoff_initial_s", 60}}}});
  auto alerts = AlertService::start(config, dir.file("tilescope.db"));
  auto store = store::Store::open(dir.path());
  store::EventRecord record = testing::event(0, "gate");
  record.camera_id = 1;
  const std::int64_t id = store->open_event(record);
  record.id = id;
  record.snapshot = store->write_snapshot(id, {0xFF, 0xD8, 0xFF, 0xD9});
  store->update_event(record);
  alerts->on_event(EventKind::kOpened, record, store->snapshot_path(record.snapshot).value_or(""));
  store->close_event(id, record.start_ms + 1000);

  ASSERT_EQ(alerts->outbox().counts().pending, 1);
  const Delivery d = alerts->outbox().list({}).deliveries.at(0);
  EXPECT_EQ(d.event_id, id);
  EXPECT_EQ(d.attachment, store->snapshot_path(record.snapshot).value());
  EXPECT_EQ(d.payload["has_snapshot"], true);
  alerts.reset();
  store.reset();
  // Both reopen: the store's migration and the outbox's schema check accept each other.
  store = store::Store::open(dir.path());
  EXPECT_TRUE(store->event(id));
  EXPECT_EQ(Outbox::open(dir.file("tilescope.db"))->counts().pending, 1);
}

TEST(OutboxFile, ANewerSchemaIsRefusedWithAMessage) {
  testing::TempDir dir;
  const std::string path = dir.file("tilescope.db");
  Outbox::open(path);
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "UPDATE alerts_meta SET value = '99' WHERE key = 'schema_version'", nullptr, nullptr,
               nullptr);
  sqlite3_close(db);
  try {
    Outbox::open(path);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("alerts schema 99"));
    EXPECT_THAT(e.what(), HasSubstr(path));
  }
}

TEST(OutboxFile, AnUnusableFolderIsAnErrorNamingThePath) {
  EXPECT_THROW(Outbox::open("/proc/no-such-dir/tilescope.db"), Error);
}

TEST(NewDeliveryId, IsARandomUuidVersionFour) {
  const std::string a = new_delivery_id(), b = new_delivery_id();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');
}

} // namespace
} // namespace tilescope::alerts
