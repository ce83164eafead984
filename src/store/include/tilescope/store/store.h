// Persistent state of `tilescope serve`: one SQLite database in WAL mode plus a
// folder of JPEG snapshots.
//
//   auto store = store::Store::open("tilescope-data");   // tilescope.db, snapshots/
//   std::int64_t id = store->open_event(event);
//   store->close_event(id, now_ms);
//
// Crash safety: every change is one transaction (synchronous=NORMAL in WAL keeps the
// database consistent across kill -9; the last transactions may be lost on power
// failure only). Snapshots are written to a temporary file and renamed before the
// row that names them is committed, so a row never names a half-written file.
// On open, events left open by a crash are closed (end = their last update).
//
// Thread-safe: one connection behind a mutex (the writes are small; readers of the
// API and the camera threads share it).
#pragma once

#include "tilescope/core/error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tilescope::store {

// Milliseconds since the Unix epoch (UTC).
std::int64_t now_ms();

struct CameraRecord {
  std::int64_t id = 0;
  std::string name;
  std::string config_json; // config::camera_to_json(camera, /*redact=*/false)
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

struct Box {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0; // frame pixels
};

struct EventRecord {
  std::int64_t id = 0;
  std::int64_t camera_id = 0;
  std::string camera_name;
  std::string label; // class name
  int class_id = 0;
  double score = 0; // best score so far
  std::int64_t start_ms = 0;
  std::optional<std::int64_t> end_ms; // unset while open
  std::int64_t updated_ms = 0;
  Box box; // at the best score
  int frame_width = 0, frame_height = 0;
  std::vector<std::string> zones; // zones entered, in order of entry
  std::int64_t track_id = 0;
  std::string snapshot; // file name under snapshot_dir(); "" when none
};

struct EventFilter {
  std::optional<std::int64_t> camera_id;
  std::optional<std::string> label;
  std::optional<std::int64_t> from_ms; // start_ms >= from
  std::optional<std::int64_t> to_ms;   // start_ms < to
  std::optional<std::string> zone;     // entered this zone
  std::optional<bool> open;            // only open (true) / closed (false)
  int limit = 50;                      // 1..500
  int offset = 0;
};

struct EventPage {
  std::vector<EventRecord> events; // newest first (start_ms desc, id desc)
  std::int64_t total = 0;          // matching the filter, ignoring limit/offset
};

struct RetentionResult {
  int events_deleted = 0;
  std::int64_t bytes_freed = 0;
};

// Name already taken, unknown id: the API maps these to 409 / 404.
class ConflictError : public Error {
public:
  using Error::Error;
};

class Store {
public:
  // Opens (creating) `dir`/tilescope.db and `dir`/snapshots/. Migrates older schemas.
  // Throws Error naming the path when the folder or database cannot be used.
  static std::unique_ptr<Store> open(const std::string& dir);
  ~Store();

  const std::string& dir() const;
  std::string snapshot_dir() const; // absolute path of the snapshot folder

  // --- cameras ---
  std::vector<CameraRecord> cameras() const; // by id
  std::optional<CameraRecord> camera(std::int64_t id) const;
  std::optional<CameraRecord> camera_by_name(const std::string& name) const;
  // Throws ConflictError when the name is taken.
  CameraRecord add_camera(const std::string& name, const std::string& config_json);
  // Throws ConflictError when the new name belongs to another camera; false: no such id.
  bool update_camera(std::int64_t id, const std::string& name, const std::string& config_json);
  // Deletes the camera; its events stay (camera_name keeps naming it). false: no such id.
  bool delete_camera(std::int64_t id);

  // --- events ---
  // Inserts an open event (record.id ignored; end_ms must be unset). Returns its id.
  std::int64_t open_event(const EventRecord& record);
  // Best score/box so far, zones entered, snapshot; sets updated_ms.
  void update_event(const EventRecord& record);
  void close_event(std::int64_t id, std::int64_t end_ms);
  // Closes every open event (end = its updated_ms). Returns how many. open() calls it.
  int close_open_events();
  std::optional<EventRecord> event(std::int64_t id) const;
  EventPage events(const EventFilter& filter) const;
  // Deletes the event and its snapshot file. false: no such id.
  bool delete_event(std::int64_t id);

  // Writes JPEG bytes as the snapshot of event `event_id` (temporary file + rename)
  // and returns the file name to put in EventRecord::snapshot. Overwrites.
  std::string write_snapshot(std::int64_t event_id, const std::vector<unsigned char>& jpeg);
  // Absolute path of a snapshot file name, or nullopt when the name is not a plain
  // file name of this store (no '/', no "..") or the file does not exist.
  std::optional<std::string> snapshot_path(const std::string& name) const;

  // --- settings (key/value, JSON text by convention) ---
  std::optional<std::string> setting(const std::string& key) const;
  void set_setting(const std::string& key, const std::string& value);

  // --- retention ---
  // Deletes closed events started before now - retention_days (0: no age limit), then,
  // while database + snapshots exceed max_bytes (0: no limit), the oldest closed events.
  RetentionResult apply_retention(double retention_days, std::int64_t max_bytes, std::int64_t now);
  std::int64_t storage_bytes() const; // database pages (those still in the WAL too) + snapshot files

private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace tilescope::store
