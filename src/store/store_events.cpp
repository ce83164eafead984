// Store: events (open, update, close, query, delete) and retention.
#include "store_impl.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace tilescope::store {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxPageSize = 500;
// Events deleted per transaction by retention: the lock is released in between, so
// camera threads writing events wait at most one batch.
constexpr int kRetentionBatch = 64;
// What deleting one event row frees in the database, roughly (a row with its index
// entries), for retention by size to stop near its target; it re-measures after each batch.
constexpr std::int64_t kRowBytesEstimate = 200;

constexpr const char* kEventColumns =
    "id, camera_id, camera_name, label, class_id, score, start_ms, end_ms, updated_ms, x1, y1, x2, y2, "
    "frame_w, frame_h, zones, track_id, snapshot";

std::string zones_to_text(const std::vector<std::string>& zones) { return nlohmann::json(zones).dump(); }

std::vector<std::string> zones_from_text(const std::string& text) {
  const auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> zones;
  if (!parsed.is_array()) return zones;
  for (const auto& zone : parsed) {
    if (zone.is_string()) zones.push_back(zone.get<std::string>());
  }
  return zones;
}

EventRecord read_event(const detail::Statement& row) {
  EventRecord event;
  event.id = row.int64(0);
  event.camera_id = row.int64(1);
  event.camera_name = row.text(2);
  event.label = row.text(3);
  event.class_id = static_cast<int>(row.int64(4));
  event.score = row.real(5);
  event.start_ms = row.int64(6);
  if (!row.is_null(7)) event.end_ms = row.int64(7);
  event.updated_ms = row.int64(8);
  event.box = Box{row.real(9), row.real(10), row.real(11), row.real(12)};
  event.frame_width = static_cast<int>(row.int64(13));
  event.frame_height = static_cast<int>(row.int64(14));
  event.zones = zones_from_text(row.text(15));
  event.track_id = row.int64(16);
  event.snapshot = row.text(17);
  return event;
}

// The WHERE clause of a filter; bind_filter binds its parameters in the same order.
std::string where_clause(const EventFilter& filter) {
  std::string where = " WHERE 1";
  if (filter.camera_id) where += " AND camera_id = ?";
  if (filter.label) where += " AND label = ?";
  if (filter.from_ms) where += " AND start_ms >= ?";
  if (filter.to_ms) where += " AND start_ms < ?";
  // An exact match among the zone names (not a substring of the JSON text).
  if (filter.zone) where += " AND EXISTS (SELECT 1 FROM json_each(events.zones) WHERE json_each.value = ?)";
  if (filter.open) where += *filter.open ? " AND end_ms IS NULL" : " AND end_ms IS NOT NULL";
  return where;
}

void bind_filter(detail::Statement& statement, const EventFilter& filter) {
  if (filter.camera_id) statement.bind_next(*filter.camera_id);
  if (filter.label) statement.bind_next(*filter.label);
  if (filter.from_ms) statement.bind_next(*filter.from_ms);
  if (filter.to_ms) statement.bind_next(*filter.to_ms);
  if (filter.zone) statement.bind_next(*filter.zone);
}

// Bytes the database holds in use: pages not on the free list. Unlike the file size, it
// drops as soon as rows are deleted, so the retention loop sees its progress.
std::int64_t live_database_bytes(detail::Database& db) {
  return db.query_int("PRAGMA page_size") *
         (db.query_int("PRAGMA page_count") - db.query_int("PRAGMA freelist_count"));
}

std::int64_t snapshot_folder_bytes(const std::string& dir) {
  std::int64_t total = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    total += detail::file_size_or_zero(entry.path().string());
  }
  return total;
}

} // namespace

std::int64_t Store::open_event(const EventRecord& record) {
  if (record.end_ms)
    throw Error("open_event: event " + std::to_string(record.id) + " has an end (must be open)");
  std::lock_guard lock(impl_->mutex);
  detail::Statement insert(impl_->db,
                           "INSERT INTO events (camera_id, camera_name, label, class_id, score, start_ms, "
                           "updated_ms, x1, y1, x2, y2, frame_w, frame_h, zones, track_id, snapshot) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind_next(record.camera_id)
      .bind_next(record.camera_name)
      .bind_next(record.label)
      .bind_next(record.class_id)
      .bind_next(record.score)
      .bind_next(record.start_ms)
      .bind_next(std::max(record.updated_ms, record.start_ms))
      .bind_next(record.box.x1)
      .bind_next(record.box.y1)
      .bind_next(record.box.x2)
      .bind_next(record.box.y2)
      .bind_next(record.frame_width)
      .bind_next(record.frame_height)
      .bind_next(zones_to_text(record.zones))
      .bind_next(record.track_id)
      .bind_next(record.snapshot);
  insert.run();
  return impl_->db.last_insert_id();
}

// An event deleted meanwhile (through the API) is not an error for the camera thread
// that still updates it: the update changes no row.
void Store::update_event(const EventRecord& record) {
  std::lock_guard lock(impl_->mutex);
  detail::Statement update(
      impl_->db, "UPDATE events SET score = ?, x1 = ?, y1 = ?, x2 = ?, y2 = ?, frame_w = ?, frame_h = ?, "
                 "zones = ?, snapshot = ?, updated_ms = ? WHERE id = ?");
  update.bind_next(record.score)
      .bind_next(record.box.x1)
      .bind_next(record.box.y1)
      .bind_next(record.box.x2)
      .bind_next(record.box.y2)
      .bind_next(record.frame_width)
      .bind_next(record.frame_height)
      .bind_next(zones_to_text(record.zones))
      .bind_next(record.snapshot)
      .bind_next(record.updated_ms > 0 ? record.updated_ms : now_ms())
      .bind_next(record.id);
  update.run();
}

void Store::close_event(std::int64_t id, std::int64_t end_ms) {
  std::lock_guard lock(impl_->mutex);
  detail::Statement update(impl_->db, "UPDATE events SET end_ms = ?1, updated_ms = MAX(updated_ms, ?1) "
                                      "WHERE id = ?2 AND end_ms IS NULL");
  update.bind(1, end_ms).bind(2, id).run();
}

int Store::close_open_events() {
  std::lock_guard lock(impl_->mutex);
  impl_->db.exec("UPDATE events SET end_ms = updated_ms WHERE end_ms IS NULL");
  return impl_->db.changes();
}

std::optional<EventRecord> Store::event(std::int64_t id) const {
  std::lock_guard lock(impl_->mutex);
  detail::Statement row(impl_->db,
                        (std::string("SELECT ") + kEventColumns + " FROM events WHERE id = ?").c_str());
  row.bind(1, id);
  if (!row.step()) return std::nullopt;
  return read_event(row);
}

EventPage Store::events(const EventFilter& filter) const {
  if (filter.limit < 1 || filter.limit > kMaxPageSize) {
    throw Error("events: limit " + std::to_string(filter.limit) + " is outside 1.." +
                std::to_string(kMaxPageSize));
  }
  if (filter.offset < 0) throw Error("events: offset " + std::to_string(filter.offset) + " is negative");
  const std::string where = where_clause(filter);
  std::lock_guard lock(impl_->mutex);
  EventPage page;
  detail::Statement count(impl_->db, ("SELECT COUNT(*) FROM events" + where).c_str());
  bind_filter(count, filter);
  if (count.step()) page.total = count.int64(0);
  detail::Statement rows(impl_->db, (std::string("SELECT ") + kEventColumns + " FROM events" + where +
                                     " ORDER BY start_ms DESC, id DESC LIMIT ? OFFSET ?")
                                        .c_str());
  bind_filter(rows, filter);
  rows.bind_next(filter.limit).bind_next(filter.offset);
  while (rows.step())
    page.events.push_back(read_event(rows));
  return page;
}

bool Store::delete_event(std::int64_t id) {
  std::string snapshot;
  {
    std::lock_guard lock(impl_->mutex);
    detail::Transaction transaction(impl_->db);
    detail::Statement row(impl_->db, "SELECT snapshot FROM events WHERE id = ?");
    row.bind(1, id);
    if (!row.step()) return false;
    snapshot = row.text(0);
    detail::Statement remove(impl_->db, "DELETE FROM events WHERE id = ?");
    remove.bind(1, id).run();
    transaction.commit();
  }
  // After the commit: a crash in between leaves a file no row names (removed at the
  // next open), never a row naming a missing file.
  if (const auto path = snapshot_path(snapshot)) {
    std::error_code error;
    fs::remove(*path, error);
  }
  return true;
}

RetentionResult Store::apply_retention(double retention_days, std::int64_t max_bytes, std::int64_t now) {
  RetentionResult result;
  std::int64_t snapshot_bytes = snapshot_folder_bytes(impl_->snapshot_dir);
  const auto used_bytes = [&] {
    std::lock_guard lock(impl_->mutex);
    return live_database_bytes(impl_->db) + snapshot_bytes;
  };
  const std::int64_t used_before = used_bytes();

  // Deletes up to one batch of the oldest closed events matching `condition` (with
  // `parameter` bound to its ?), stopping early once about `bytes_wanted` are freed
  // (0: the whole batch); returns the running count.
  const auto delete_batch = [&](const char* condition, std::int64_t parameter, std::int64_t bytes_wanted) {
    std::vector<std::string> files;
    {
      std::lock_guard lock(impl_->mutex);
      detail::Transaction transaction(impl_->db);
      detail::Statement select(impl_->db,
                               (std::string("SELECT id, snapshot FROM events WHERE end_ms IS NOT NULL ") +
                                condition + " ORDER BY start_ms, id LIMIT " + std::to_string(kRetentionBatch))
                                   .c_str());
      if (condition[0] != '\0') select.bind(1, parameter);
      detail::Statement remove(impl_->db, "DELETE FROM events WHERE id = ?");
      std::int64_t freed_estimate = 0;
      while ((bytes_wanted == 0 || freed_estimate < bytes_wanted) && select.step()) {
        remove.reset();
        remove.bind(1, select.int64(0)).run();
        const std::string name = select.text(1);
        if (!name.empty()) {
          files.push_back(name);
          if (const auto path = snapshot_path(name)) freed_estimate += detail::file_size_or_zero(*path);
        }
        freed_estimate += kRowBytesEstimate;
        ++result.events_deleted;
      }
      transaction.commit();
    }
    for (const std::string& name : files) {
      if (const auto path = snapshot_path(name)) {
        snapshot_bytes -= detail::file_size_or_zero(*path);
        std::error_code error;
        fs::remove(*path, error);
      }
    }
    return result.events_deleted;
  };

  if (retention_days > 0) {
    const auto cutoff = now - static_cast<std::int64_t>(retention_days * 24 * 3600 * 1000);
    for (int before = -1; before != result.events_deleted;) {
      before = result.events_deleted;
      delete_batch("AND start_ms < ?", cutoff, 0);
    }
  }
  if (max_bytes > 0) {
    for (int before = -1; before != result.events_deleted;) {
      const std::int64_t excess = used_bytes() - max_bytes;
      if (excess <= 0) break;
      before = result.events_deleted;
      delete_batch("", 0, excess);
    }
  }
  if (result.events_deleted > 0) {
    // Give the freed pages back to the file system, and fold the WAL into the database
    // so that storage_bytes() shows the space regained.
    std::lock_guard lock(impl_->mutex);
    impl_->db.exec("PRAGMA incremental_vacuum");
    impl_->db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  result.bytes_freed = std::max<std::int64_t>(0, used_before - used_bytes());
  return result;
}

} // namespace tilescope::store
