// Store: opening and migrations, cameras, settings, events with filters and paging,
// snapshots, concurrent writers.
#include "temp_dir.h"
#include "tilescope/store/store.h"

#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <set>
#include <sqlite3.h>
#include <thread>

namespace tilescope::store {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::TempDir;

// The first column of the first row of `sql`, read with a separate connection.
std::string query(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    out = text != nullptr ? text : "";
  } else {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return out;
}

void exec(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sql << ": " << sqlite3_errmsg(db);
  sqlite3_close(db);
}

EventRecord make_event(std::int64_t camera_id, const std::string& label, std::int64_t start_ms,
                       std::vector<std::string> zones = {}) {
  EventRecord event;
  event.camera_id = camera_id;
  event.camera_name = "cam" + std::to_string(camera_id);
  event.label = label;
  event.class_id = label == "person" ? 0 : 2;
  event.score = 0.6;
  event.start_ms = start_ms;
  event.updated_ms = start_ms;
  event.box = Box{10, 20, 30, 60};
  event.frame_width = 768;
  event.frame_height = 576;
  event.zones = std::move(zones);
  event.track_id = 5;
  return event;
}

std::vector<std::int64_t> ids_of(const EventPage& page) {
  std::vector<std::int64_t> ids;
  for (const EventRecord& event : page.events)
    ids.push_back(event.id);
  return ids;
}

TEST(Store, OpenCreatesAWalDatabaseWithTheSchema) {
  TempDir dir;
  auto store = Store::open(dir.str() + "/data/");
  EXPECT_EQ(store->dir(), (dir.path() / "data").string());
  EXPECT_EQ(store->snapshot_dir(), (dir.path() / "data" / "snapshots").string());
  const std::string db = store->dir() + "/tilescope.db";
  ASSERT_TRUE(fs::exists(db));
  EXPECT_TRUE(fs::is_directory(store->snapshot_dir()));
  EXPECT_EQ(query(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query(db, "PRAGMA user_version"), "1");
  EXPECT_EQ(query(db, "PRAGMA auto_vacuum"), "2") << "incremental, so retention can shrink the file";
  EXPECT_EQ(query(db, "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = 'table' "
                      "AND name NOT LIKE 'sqlite_%' ORDER BY name)"),
            "cameras,events,settings");
  EXPECT_EQ(query(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' "
                      "AND name LIKE 'events_%'"),
            "4");
}

TEST(Store, OpeningAgainKeepsTheDataAndTheSchema) {
  TempDir dir;
  std::int64_t camera_id = 0;
  {
    auto store = Store::open(dir.str());
    camera_id = store->add_camera("gate", "{}").id;
    store->set_setting("k", "v");
  }
  for (int i = 0; i < 2; ++i) {
    auto store = Store::open(dir.str());
    ASSERT_EQ(store->cameras().size(), 1u);
    EXPECT_EQ(store->cameras()[0].id, camera_id);
    EXPECT_EQ(store->setting("k"), "v");
  }
  EXPECT_EQ(query(dir.str() + "/tilescope.db", "PRAGMA user_version"), "1");
}

TEST(Store, RefusesADatabaseFromANewerVersion) {
  TempDir dir;
  Store::open(dir.str());
  exec(dir.str() + "/tilescope.db", "PRAGMA user_version = 99");
  try {
    Store::open(dir.str());
    FAIL() << "opened a schema it does not know";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(dir.str() + "/tilescope.db: the database has schema version 99"));
  }
}

TEST(Store, AnUnusableFolderIsAnErrorNamingIt) {
  TempDir dir;
  const std::string file = dir.str() + "/not-a-folder";
  std::ofstream(file) << "x";
  try {
    Store::open(file);
    FAIL() << "opened a file as a folder";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(file));
  }
  std::ofstream(dir.str() + "/tilescope.db") << "this is not a database, just text long enough to be read";
  try {
    Store::open(dir.str());
    FAIL() << "opened a text file as a database";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(dir.str() + "/tilescope.db: "));
    EXPECT_THAT(e.what(), HasSubstr("not a database"));
  }
}

TEST(Store, Cameras) {
  TempDir dir;
  auto store = Store::open(dir.str());
  const CameraRecord gate = store->add_camera("gate", R"({"name":"gate"})");
  const CameraRecord yard = store->add_camera("yard", R"({"name":"yard"})");
  EXPECT_GT(gate.id, 0);
  EXPECT_GT(yard.id, gate.id);
  EXPECT_GT(gate.created_ms, 0);
  EXPECT_EQ(gate.created_ms, gate.updated_ms);
  ASSERT_EQ(store->cameras().size(), 2u);
  EXPECT_EQ(store->cameras()[0].name, "gate");
  EXPECT_EQ(store->camera(yard.id)->config_json, R"({"name":"yard"})");
  EXPECT_EQ(store->camera_by_name("gate")->id, gate.id);
  EXPECT_FALSE(store->camera(999));
  EXPECT_FALSE(store->camera_by_name("nobody"));

  EXPECT_THROW(store->add_camera("gate", "{}"), ConflictError);
  EXPECT_THROW(store->update_camera(yard.id, "gate", "{}"), ConflictError);
  EXPECT_TRUE(store->update_camera(yard.id, "garden", R"({"name":"garden"})"));
  EXPECT_EQ(store->camera(yard.id)->name, "garden");
  EXPECT_GE(store->camera(yard.id)->updated_ms, yard.updated_ms);
  EXPECT_FALSE(store->update_camera(999, "x", "{}"));

  // Deleting a camera keeps its events, which still name it.
  const std::int64_t event_id = store->open_event(make_event(gate.id, "person", 1000));
  EXPECT_TRUE(store->delete_camera(gate.id));
  EXPECT_FALSE(store->delete_camera(gate.id));
  EXPECT_EQ(store->event(event_id)->camera_name, "cam" + std::to_string(gate.id));
  // Ids are never reused.
  EXPECT_GT(store->add_camera("gate", "{}").id, yard.id);
}

TEST(Store, Settings) {
  TempDir dir;
  auto store = Store::open(dir.str());
  EXPECT_FALSE(store->setting("ui.theme"));
  store->set_setting("ui.theme", R"("dark")");
  store->set_setting("ui.theme", R"("light")");
  EXPECT_EQ(store->setting("ui.theme"), R"("light")");
}

TEST(Store, EventLifecycle) {
  TempDir dir;
  auto store = Store::open(dir.str());
  EventRecord record = make_event(3, "person", 1000, {"door"});
  const std::int64_t id = store->open_event(record);
  std::optional<EventRecord> stored = store->event(id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->id, id);
  EXPECT_EQ(stored->camera_id, 3);
  EXPECT_EQ(stored->camera_name, "cam3");
  EXPECT_EQ(stored->label, "person");
  EXPECT_EQ(stored->score, 0.6);
  EXPECT_EQ(stored->start_ms, 1000);
  EXPECT_FALSE(stored->end_ms);
  EXPECT_EQ(stored->box.y2, 60);
  EXPECT_EQ(stored->frame_width, 768);
  EXPECT_EQ(stored->zones, std::vector<std::string>{"door"});
  EXPECT_EQ(stored->track_id, 5);
  EXPECT_EQ(stored->snapshot, "");

  record.id = id;
  record.score = 0.9;
  record.box = Box{1, 2, 3, 4};
  record.zones = {"door", "hall \"B\""};
  record.updated_ms = 1500;
  record.snapshot = store->write_snapshot(id, {0xff, 0xd8, 0xff});
  store->update_event(record);
  stored = store->event(id);
  EXPECT_EQ(stored->score, 0.9);
  EXPECT_EQ(stored->box.x1, 1);
  EXPECT_EQ(stored->zones, (std::vector<std::string>{"door", "hall \"B\""}));
  EXPECT_EQ(stored->updated_ms, 1500);
  EXPECT_EQ(stored->snapshot, "event-" + std::to_string(id) + ".jpg");

  store->close_event(id, 2000);
  EXPECT_EQ(store->event(id)->end_ms, 2000);
  EXPECT_EQ(store->event(id)->updated_ms, 2000);
  store->close_event(id, 3000);
  EXPECT_EQ(store->event(id)->end_ms, 2000) << "closing twice keeps the first end";

  EXPECT_TRUE(store->delete_event(id));
  EXPECT_FALSE(store->event(id));
  EXPECT_FALSE(store->delete_event(id));
  EXPECT_NO_THROW(store->update_event(record))
      << "a camera thread may update an event deleted through the API";
  EXPECT_NO_THROW(store->close_event(id, 4000));

  EventRecord closed = make_event(1, "person", 10);
  closed.end_ms = 20;
  EXPECT_THROW(store->open_event(closed), Error);
}

TEST(Store, OpenEventsAreClosedWhenTheStoreOpens) {
  TempDir dir;
  std::int64_t id = 0;
  {
    auto store = Store::open(dir.str());
    EventRecord record = make_event(1, "person", 1000);
    id = store->open_event(record);
    record.id = id;
    record.updated_ms = 4321;
    store->update_event(record);
  }
  auto store = Store::open(dir.str());
  EXPECT_EQ(store->event(id)->end_ms, 4321) << "ends at its last update";
  EXPECT_EQ(store->close_open_events(), 0);
}

TEST(Store, FiltersAndPaging) {
  TempDir dir;
  auto store = Store::open(dir.str());
  // 30 events: cameras 1 and 2 alternate, every third is a car, zones vary; start = 1000 * i.
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 30; ++i) {
    std::vector<std::string> zones;
    if (i % 5 == 0) zones = {"door"};
    if (i % 5 == 1) zones = {"front-door", "yard"};
    const std::int64_t id =
        store->open_event(make_event(1 + i % 2, i % 3 == 0 ? "car" : "person", 1000 * i, zones));
    if (i % 4 != 0) store->close_event(id, 1000 * i + 500);
    ids.push_back(id);
  }
  const auto expect_page = [&](const EventFilter& filter, std::int64_t total, std::vector<int> indices) {
    const EventPage page = store->events(filter);
    std::vector<std::int64_t> expected;
    for (int i : indices)
      expected.push_back(ids[i]);
    EXPECT_EQ(page.total, total);
    EXPECT_EQ(ids_of(page), expected);
  };

  EventFilter all;
  all.limit = 5;
  expect_page(all, 30, {29, 28, 27, 26, 25}); // newest first
  all.offset = 27;
  expect_page(all, 30, {2, 1, 0});
  all.offset = 40;
  expect_page(all, 30, {});

  EventFilter camera;
  camera.camera_id = 2;
  camera.limit = 3;
  expect_page(camera, 15, {29, 27, 25});

  EventFilter cars;
  cars.label = "car";
  cars.camera_id = 1;
  expect_page(cars, 5, {24, 18, 12, 6, 0});

  EventFilter range;
  range.from_ms = 10000;
  range.to_ms = 13000; // start_ms < to
  expect_page(range, 3, {12, 11, 10});

  EventFilter door; // an exact zone name, not a part of "front-door"
  door.zone = "door";
  expect_page(door, 6, {25, 20, 15, 10, 5, 0});
  door.zone = "yard";
  door.limit = 2;
  expect_page(door, 6, {26, 21});
  door.zone = "do";
  expect_page(door, 0, {});

  EventFilter open;
  open.open = true;
  expect_page(open, 8, {28, 24, 20, 16, 12, 8, 4, 0});
  open.open = false;
  open.limit = 1;
  expect_page(open, 22, {29});

  EventFilter bad;
  bad.limit = 0;
  EXPECT_THROW(store->events(bad), Error);
  bad.limit = 501;
  EXPECT_THROW(store->events(bad), Error);
  bad.limit = 10;
  bad.offset = -1;
  EXPECT_THROW(store->events(bad), Error);
}

TEST(Store, Snapshots) {
  TempDir dir;
  auto store = Store::open(dir.str());
  const std::int64_t id = store->open_event(make_event(1, "person", 1000));
  const std::vector<unsigned char> first(2000, 0x11), second(500, 0x22);
  const std::string name = store->write_snapshot(id, first);
  EXPECT_EQ(name, "event-" + std::to_string(id) + ".jpg");
  ASSERT_TRUE(store->snapshot_path(name));
  EXPECT_EQ(*store->snapshot_path(name), store->snapshot_dir() + "/" + name);
  EXPECT_EQ(fs::file_size(*store->snapshot_path(name)), 2000u);
  EXPECT_EQ(store->write_snapshot(id, second), name);
  EXPECT_EQ(fs::file_size(*store->snapshot_path(name)), 500u) << "overwritten";
  for (const auto& entry : fs::directory_iterator(store->snapshot_dir())) {
    EXPECT_EQ(entry.path().filename().string(), name) << "no temporary file left";
  }
  EXPECT_GE(store->storage_bytes(), 500);

  EventRecord record = make_event(1, "person", 1000);
  record.id = id;
  record.snapshot = name;
  store->update_event(record);
  const std::string path = *store->snapshot_path(name);
  EXPECT_TRUE(store->delete_event(id));
  EXPECT_FALSE(fs::exists(path)) << "the snapshot goes with its event";
  EXPECT_FALSE(store->snapshot_path(name));
}

TEST(Store, SnapshotPathRejectsAnythingButAPlainName) {
  TempDir dir;
  auto store = Store::open(dir.str());
  std::ofstream(dir.str() + "/secret.txt") << "x";
  std::ofstream(dir.str() + "/snapshots/ok-name.jpg") << "x";
  EXPECT_TRUE(store->snapshot_path("ok-name.jpg"));
  for (const std::string& name : std::vector<std::string>{
           "", ".", "..", "../secret.txt", "..%2fsecret.txt", "snapshots/../../secret.txt", "/etc/passwd",
           "a/b.jpg", "..\\secret.txt", "a\\b.jpg", ".hidden", std::string("ok-name.jpg\0x", 13),
           "ok-name.jpg/", "missing.jpg"}) {
    EXPECT_FALSE(store->snapshot_path(name)) << name;
  }
}

TEST(Store, StaleSnapshotFilesAreRemovedAtOpen) {
  TempDir dir;
  std::string kept;
  {
    auto store = Store::open(dir.str());
    EventRecord record = make_event(1, "person", 1000);
    record.id = store->open_event(record);
    record.snapshot = kept = store->write_snapshot(record.id, {1, 2, 3});
    store->update_event(record);
  }
  const fs::path snapshots = dir.path() / "snapshots";
  for (const char* name : {"event-999.jpg", "event-5.jpg.3.tmp", "event-998.jpg", "notes.txt"}) {
    std::ofstream(snapshots / name) << "x";
  }
  // A crash leaves these behind; "event-998.jpg" is recent (a writer may be about to
  // commit its row) and "notes.txt" is not the store's.
  const auto old = fs::file_time_type::clock::now() - std::chrono::minutes(5);
  for (const char* name : {"event-999.jpg", "event-5.jpg.3.tmp", "notes.txt"})
    fs::last_write_time(snapshots / name, old);
  fs::last_write_time(snapshots / kept, old);
  Store::open(dir.str());
  std::set<std::string> left;
  for (const auto& entry : fs::directory_iterator(snapshots))
    left.insert(entry.path().filename().string());
  EXPECT_EQ(left, (std::set<std::string>{kept, "event-998.jpg", "notes.txt"}));
}

TEST(Store, ConcurrentWritersFromFourThreads) {
  TempDir dir;
  auto store = Store::open(dir.str());
  constexpr int kThreads = 4, kEventsPerThread = 40;
  std::vector<std::vector<std::int64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEventsPerThread; ++i) {
        EventRecord record = make_event(t, "person", 1000 * i + t);
        record.id = store->open_event(record);
        record.score = 0.7;
        record.snapshot =
            store->write_snapshot(record.id, std::vector<unsigned char>(100, static_cast<unsigned char>(t)));
        store->update_event(record);
        store->close_event(record.id, record.start_ms + 10);
        ids[t].push_back(record.id);
        if (i % 10 == 0) store->set_setting("thread" + std::to_string(t), std::to_string(i));
        EventFilter mine;
        mine.camera_id = t;
        store->events(mine); // readers interleave with the writers
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  std::set<std::int64_t> unique;
  for (const auto& list : ids)
    unique.insert(list.begin(), list.end());
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kThreads * kEventsPerThread));
  EventFilter all;
  all.limit = 500;
  const EventPage page = store->events(all);
  EXPECT_EQ(page.total, kThreads * kEventsPerThread);
  for (const EventRecord& event : page.events) {
    EXPECT_TRUE(event.end_ms);
    EXPECT_EQ(event.score, 0.7);
    EXPECT_TRUE(store->snapshot_path(event.snapshot)) << event.snapshot;
  }
  EXPECT_EQ(query(dir.str() + "/tilescope.db", "PRAGMA integrity_check"), "ok");
}

} // namespace
} // namespace tilescope::store
