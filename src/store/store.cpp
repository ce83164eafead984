// Store: opening (pragmas, migrations, recovery after a crash), cameras, settings and
// snapshot files. Events and retention are in store_events.cpp.
#include "schema.h"
#include "store_impl.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unordered_set>

namespace tilescope::store {

namespace fs = std::filesystem;

namespace {

// A crashed writer may have left a snapshot no row names (written, then killed before
// its row was committed) or a temporary file. Files younger than this are left alone:
// another process (a second tool on the same folder) may be between the two steps.
constexpr auto kStaleSnapshotAge = std::chrono::seconds(60);
// How long a writer waits for the database lock held by another connection.
constexpr int kBusyTimeoutMs = 5000;
// The WAL file is truncated to this after a checkpoint (it otherwise keeps its largest size).
constexpr std::int64_t kWalSizeLimit = 4 << 20;

bool is_plain_name(const std::string& name) {
  if (name.empty() || name.front() == '.' || name.size() > 255) return false;
  for (unsigned char c : name) {
    const bool ok = std::isalnum(c) || c == '-' || c == '_' || c == '.';
    if (!ok) return false; // '/', '\\', NUL, spaces, ...
  }
  return name.find("..") == std::string::npos;
}

bool is_snapshot_file_name(const std::string& name) {
  const bool ours = name.rfind("event-", 0) == 0;
  const bool jpeg = name.size() > 4 && name.compare(name.size() - 4, 4, ".jpg") == 0;
  const bool temporary = name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0;
  return ours && (jpeg || temporary);
}

CameraRecord read_camera(const detail::Statement& row) {
  return CameraRecord{row.int64(0), row.text(1), row.text(2), row.int64(3), row.int64(4)};
}

// Removes snapshot files no event row names (and temporary files) older than
// kStaleSnapshotAge.
void remove_stale_snapshots(detail::Database& db, const std::string& snapshot_dir) {
  std::unordered_set<std::string> named;
  detail::Statement rows(db, "SELECT snapshot FROM events WHERE snapshot != ''");
  while (rows.step())
    named.insert(rows.text(0));
  std::error_code error;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& entry : fs::directory_iterator(snapshot_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(error) || !is_snapshot_file_name(name) || named.count(name) != 0) continue;
    const auto written = fs::last_write_time(entry.path(), error);
    if (error || now - written < kStaleSnapshotAge) continue;
    fs::remove(entry.path(), error);
  }
}

constexpr const char* kCameraColumns = "SELECT id, name, config_json, created_ms, updated_ms FROM cameras";

} // namespace

namespace detail {

std::int64_t file_size_or_zero(const std::string& path) {
  std::error_code error;
  const auto size = fs::file_size(path, error);
  return error ? 0 : static_cast<std::int64_t>(size);
}

} // namespace detail

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

std::unique_ptr<Store> Store::open(const std::string& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error || !fs::is_directory(dir)) {
    throw Error(dir + ": cannot use as the data folder: " + (error ? error.message() : "not a folder"));
  }
  fs::path absolute = fs::absolute(dir, error).lexically_normal();
  if (!absolute.has_filename()) absolute = absolute.parent_path(); // "data/" -> "data"
  const fs::path snapshots = absolute / "snapshots";
  fs::create_directories(snapshots, error);
  if (error) throw Error(snapshots.string() + ": cannot create the snapshot folder: " + error.message());

  auto impl = std::make_unique<Impl>((absolute / "tilescope.db").string());
  impl->dir = absolute.string();
  impl->snapshot_dir = snapshots.string();
  detail::Database& db = impl->db;
  sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs);
  if (db.query_int("SELECT count(*) FROM sqlite_master") == 0) {
    // A new database: freed pages can then go back to the file system after retention
    // (PRAGMA incremental_vacuum). Only possible before the first table, and before the
    // switch to WAL, which writes the header.
    db.exec("PRAGMA auto_vacuum = INCREMENTAL");
  }
  // WAL + synchronous=NORMAL: a commit is atomic and survives the process being killed
  // at any moment; only a power failure may lose the last commits.
  const std::string journal = db.query_text("PRAGMA journal_mode = WAL");
  if (journal != "wal") {
    throw Error(db.path() + ": cannot use WAL mode (journal_mode stays '" + journal +
                "'); the folder must be on a local file system");
  }
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA journal_size_limit = " + std::to_string(kWalSizeLimit));
  db.exec("PRAGMA foreign_keys = ON");
  detail::migrate(db);
  remove_stale_snapshots(db, impl->snapshot_dir);

  std::unique_ptr<Store> store(new Store(std::move(impl)));
  store->close_open_events();
  return store;
}

const std::string& Store::dir() const { return impl_->dir; }

std::string Store::snapshot_dir() const { return impl_->snapshot_dir; }

// --- cameras ---------------------------------------------------------------------

std::vector<CameraRecord> Store::cameras() const {
  std::lock_guard lock(impl_->mutex);
  detail::Statement rows(impl_->db, (std::string(kCameraColumns) + " ORDER BY id").c_str());
  std::vector<CameraRecord> out;
  while (rows.step())
    out.push_back(read_camera(rows));
  return out;
}

std::optional<CameraRecord> Store::camera(std::int64_t id) const {
  std::lock_guard lock(impl_->mutex);
  detail::Statement row(impl_->db, (std::string(kCameraColumns) + " WHERE id = ?").c_str());
  row.bind(1, id);
  if (!row.step()) return std::nullopt;
  return read_camera(row);
}

std::optional<CameraRecord> Store::camera_by_name(const std::string& name) const {
  std::lock_guard lock(impl_->mutex);
  detail::Statement row(impl_->db, (std::string(kCameraColumns) + " WHERE name = ?").c_str());
  row.bind(1, name);
  if (!row.step()) return std::nullopt;
  return read_camera(row);
}

CameraRecord Store::add_camera(const std::string& name, const std::string& config_json) {
  std::lock_guard lock(impl_->mutex);
  const std::int64_t now = now_ms();
  detail::Statement insert(
      impl_->db, "INSERT INTO cameras (name, config_json, created_ms, updated_ms) VALUES (?, ?, ?, ?)");
  insert.bind(1, name).bind(2, config_json).bind(3, now).bind(4, now);
  try {
    insert.run();
  } catch (const ConflictError&) {
    throw ConflictError("camera name '" + name + "' is already taken");
  }
  return CameraRecord{impl_->db.last_insert_id(), name, config_json, now, now};
}

bool Store::update_camera(std::int64_t id, const std::string& name, const std::string& config_json) {
  std::lock_guard lock(impl_->mutex);
  detail::Statement update(impl_->db,
                           "UPDATE cameras SET name = ?, config_json = ?, updated_ms = ? WHERE id = ?");
  update.bind(1, name).bind(2, config_json).bind(3, now_ms()).bind(4, id);
  try {
    update.run();
  } catch (const ConflictError&) {
    throw ConflictError("camera name '" + name + "' is already taken");
  }
  return impl_->db.changes() > 0;
}

bool Store::delete_camera(std::int64_t id) {
  std::lock_guard lock(impl_->mutex);
  detail::Statement remove(impl_->db, "DELETE FROM cameras WHERE id = ?");
  remove.bind(1, id).run();
  return impl_->db.changes() > 0;
}

// --- snapshots ---------------------------------------------------------------------

std::string Store::write_snapshot(std::int64_t event_id, const std::vector<unsigned char>& jpeg) {
  const std::string name = "event-" + std::to_string(event_id) + ".jpg";
  const std::string final_path = impl_->snapshot_dir + "/" + name;
  // Unique per call: two threads may write the same event's snapshot at once.
  const std::string temp_path = final_path + "." + std::to_string(impl_->temp_counter.fetch_add(1)) + ".tmp";
  std::FILE* file = std::fopen(temp_path.c_str(), "wb");
  if (file == nullptr) throw Error(temp_path + ": cannot write the snapshot: " + std::strerror(errno));
  const bool written = std::fwrite(jpeg.data(), 1, jpeg.size(), file) == jpeg.size();
  const int saved_errno = errno;
  // No fsync: the rename below is atomic for readers and survives kill -9 (the data is
  // in the page cache); a power failure may lose it, like the last commits.
  if (std::fclose(file) != 0 || !written) {
    std::remove(temp_path.c_str());
    throw Error(temp_path + ": cannot write the snapshot: " + std::strerror(written ? errno : saved_errno));
  }
  if (std::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    const int rename_errno = errno;
    std::remove(temp_path.c_str());
    throw Error(final_path + ": cannot write the snapshot: " + std::strerror(rename_errno));
  }
  return name;
}

std::optional<std::string> Store::snapshot_path(const std::string& name) const {
  if (!is_plain_name(name)) return std::nullopt;
  const std::string path = impl_->snapshot_dir + "/" + name;
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return std::nullopt;
  return path;
}

// --- settings ----------------------------------------------------------------------

std::optional<std::string> Store::setting(const std::string& key) const {
  std::lock_guard lock(impl_->mutex);
  detail::Statement row(impl_->db, "SELECT value FROM settings WHERE key = ?");
  row.bind(1, key);
  if (!row.step()) return std::nullopt;
  return row.text(0);
}

void Store::set_setting(const std::string& key, const std::string& value) {
  std::lock_guard lock(impl_->mutex);
  detail::Statement upsert(impl_->db, "INSERT INTO settings (key, value) VALUES (?, ?) "
                                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  upsert.bind(1, key).bind(2, value).run();
}

// --- sizes -------------------------------------------------------------------------

// The database as SQLite sees it (every page, including those still only in the WAL)
// rather than the files: the WAL file is scratch space that checkpoints reuse (and
// journal_size_limit trims), and counting it would make retention delete events to pay
// for it.
std::int64_t Store::storage_bytes() const {
  std::int64_t database = 0;
  {
    std::lock_guard lock(impl_->mutex);
    database = impl_->db.query_int("PRAGMA page_size") * impl_->db.query_int("PRAGMA page_count");
  }
  std::int64_t snapshots = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(impl_->snapshot_dir, error)) {
    snapshots += detail::file_size_or_zero(entry.path().string());
  }
  return database + snapshots;
}

} // namespace tilescope::store
