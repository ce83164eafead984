#include "schema.h"

#include <string>

namespace tilescope::store::detail {

namespace {

// Version 1. Ids are AUTOINCREMENT so a deleted id is never handed out again: API
// clients and snapshot files (event-<id>.jpg) never see one id name two things.
// events.camera_id has no foreign key on purpose: a camera's events outlive it
// (camera_name keeps naming it). zones is a JSON array of names in order of entry.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE cameras (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  config_json TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  camera_id INTEGER NOT NULL,
  camera_name TEXT NOT NULL,
  label TEXT NOT NULL,
  class_id INTEGER NOT NULL,
  score REAL NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER,
  updated_ms INTEGER NOT NULL,
  x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
  frame_w INTEGER NOT NULL,
  frame_h INTEGER NOT NULL,
  zones TEXT NOT NULL DEFAULT '[]',
  track_id INTEGER NOT NULL,
  snapshot TEXT NOT NULL DEFAULT ''
);
-- The event list is newest first, filtered by camera, label, time and open/closed.
CREATE INDEX events_by_start ON events (start_ms, id);
CREATE INDEX events_by_camera ON events (camera_id, start_ms);
CREATE INDEX events_by_label ON events (label, start_ms);
CREATE INDEX events_open ON events (id) WHERE end_ms IS NULL;
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

// Index i brings version i to version i + 1.
constexpr const char* kMigrations[] = {kVersion1};
static_assert(std::size(kMigrations) == kSchemaVersion);

} // namespace

void migrate(Database& db) {
  const auto version_now = [&] { return static_cast<int>(db.query_int("PRAGMA user_version")); };
  for (;;) {
    Transaction transaction(db);
    // Read inside the write transaction: another process may have migrated meanwhile.
    const int version = version_now();
    if (version > kSchemaVersion) {
      throw Error(db.path() + ": the database has schema version " + std::to_string(version) +
                  ", newer than this tilescope knows (" + std::to_string(kSchemaVersion) + ")");
    }
    if (version == kSchemaVersion) return;
    db.exec(kMigrations[version]);
    db.exec("PRAGMA user_version = " + std::to_string(version + 1));
    transaction.commit();
  }
}

} // namespace tilescope::store::detail
