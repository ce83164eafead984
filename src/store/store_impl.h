// Store's private state, shared by store.cpp (open, cameras, settings, snapshot files)
// and store_events.cpp (events, retention).
#pragma once

#include "sqlite_db.h"
#include "tilescope/store/store.h"

#include <atomic>
#include <mutex>

namespace tilescope::store {

struct Store::Impl {
  explicit Impl(const std::string& database_path) : db(database_path) {}

  std::string dir;          // absolute
  std::string snapshot_dir; // absolute, dir/snapshots
  // One connection for every thread: `mutex` serialises its use (the writes are small).
  mutable std::mutex mutex;
  detail::Database db;
  std::atomic<std::uint64_t> temp_counter{0}; // unique temporary snapshot names
};

namespace detail {
// The size of a file; 0 when it is missing.
std::int64_t file_size_or_zero(const std::string& path);
} // namespace detail

} // namespace tilescope::store
