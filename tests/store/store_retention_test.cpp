// apply_retention: by age, then by size, oldest closed events first, snapshots removed.
#include "temp_dir.h"
#include "tilescope/store/store.h"

#include <filesystem>
#include <gtest/gtest.h>

namespace tilescope::store {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr std::int64_t kDayMs = 24 * 3600 * 1000;
constexpr std::int64_t kNow = 1'700'000'000'000; // a fixed "now": retention takes it as a parameter

struct Created {
  std::int64_t id;
  std::string snapshot_path;
};

// An event started at `start_ms` with a snapshot of `snapshot_bytes`, closed unless `open`.
Created add_event(Store& store, std::int64_t start_ms, std::size_t snapshot_bytes, bool open = false) {
  EventRecord record;
  record.camera_id = 1;
  record.camera_name = "cam";
  record.label = "person";
  record.start_ms = start_ms;
  record.updated_ms = start_ms;
  record.id = store.open_event(record);
  record.snapshot = store.write_snapshot(record.id, std::vector<unsigned char>(snapshot_bytes, 0x5a));
  store.update_event(record);
  if (!open) store.close_event(record.id, start_ms + 1000);
  return Created{record.id, *store.snapshot_path(record.snapshot)};
}

TEST(StoreRetention, ByAgeDeletesOldClosedEventsAndTheirSnapshots) {
  TempDir dir;
  auto store = Store::open(dir.str());
  const Created old1 = add_event(*store, kNow - 20 * kDayMs, 1000);
  const Created old2 = add_event(*store, kNow - 15 * kDayMs, 1000);
  const Created old_open = add_event(*store, kNow - 30 * kDayMs, 1000, /*open=*/true);
  const Created recent = add_event(*store, kNow - 13 * kDayMs, 1000);

  const RetentionResult result = store->apply_retention(14, 0, kNow);
  EXPECT_EQ(result.events_deleted, 2);
  EXPECT_GE(result.bytes_freed, 2000);
  EXPECT_FALSE(store->event(old1.id));
  EXPECT_FALSE(store->event(old2.id));
  EXPECT_FALSE(fs::exists(old1.snapshot_path));
  EXPECT_FALSE(fs::exists(old2.snapshot_path));
  EXPECT_TRUE(store->event(old_open.id)) << "an open event is still happening";
  EXPECT_TRUE(fs::exists(old_open.snapshot_path));
  EXPECT_TRUE(store->event(recent.id));
  EXPECT_TRUE(fs::exists(recent.snapshot_path));

  EXPECT_EQ(store->apply_retention(14, 0, kNow).events_deleted, 0) << "nothing left to delete";
  EXPECT_EQ(store->apply_retention(0, 0, kNow + 1000 * kDayMs).events_deleted, 0)
      << "0 days: keep everything";
}

TEST(StoreRetention, BySizeDeletesTheOldestUntilUnderTheLimit) {
  TempDir dir;
  auto store = Store::open(dir.str());
  constexpr int kEvents = 20;
  constexpr std::size_t kSnapshotBytes = 20'000;
  std::vector<Created> events;
  // Inserted out of order: retention goes by start time, not by id.
  for (int i = 0; i < kEvents; ++i) {
    const int age_rank = (i * 7) % kEvents; // a permutation of 0..19
    events.push_back(add_event(*store, kNow - (kEvents - age_rank) * 60'000, kSnapshotBytes));
  }
  const Created open = add_event(*store, kNow - kDayMs, kSnapshotBytes, /*open=*/true);

  const std::int64_t before = store->storage_bytes();
  const std::int64_t limit = before - 8 * static_cast<std::int64_t>(kSnapshotBytes) - 5000;
  const RetentionResult result = store->apply_retention(0, limit, kNow);
  EXPECT_LE(store->storage_bytes(), limit);
  EXPECT_GE(result.events_deleted, 8);
  EXPECT_LT(result.events_deleted, kEvents) << "only as many as needed";
  EXPECT_GE(result.bytes_freed, 8 * static_cast<std::int64_t>(kSnapshotBytes));
  EXPECT_TRUE(store->event(open.id)) << "the open event stays even though it is the oldest";

  // The survivors are exactly the newest ones, and only the deleted events lost their files.
  std::int64_t oldest_kept = std::numeric_limits<std::int64_t>::max(), newest_deleted = 0;
  int deleted = 0;
  for (const Created& created : events) {
    const auto event = store->event(created.id);
    EXPECT_EQ(fs::exists(created.snapshot_path), event.has_value()) << created.snapshot_path;
    if (event) {
      oldest_kept = std::min(oldest_kept, event->start_ms);
    } else {
      ++deleted;
    }
  }
  for (int i = 0; i < kEvents; ++i) {
    if (!store->event(events[i].id)) {
      newest_deleted = std::max(newest_deleted, kNow - (kEvents - (i * 7) % kEvents) * 60'000);
    }
  }
  EXPECT_EQ(deleted, result.events_deleted);
  EXPECT_LT(newest_deleted, oldest_kept);
}

TEST(StoreRetention, ALimitBelowTheEmptyDatabaseDeletesEveryClosedEventAndStops) {
  TempDir dir;
  auto store = Store::open(dir.str());
  for (int i = 0; i < 5; ++i)
    add_event(*store, kNow - i * 1000, 100);
  const Created open = add_event(*store, kNow - kDayMs, 100, /*open=*/true);
  const RetentionResult result = store->apply_retention(0, 1, kNow);
  EXPECT_EQ(result.events_deleted, 5);
  EventFilter all;
  EXPECT_EQ(store->events(all).total, 1);
  EXPECT_TRUE(store->event(open.id));
}

} // namespace
} // namespace tilescope::store
