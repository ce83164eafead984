// A thin RAII layer over the SQLite C API: one connection, prepared statements, and
// transactions, each turning SQLite failures into tilescope::Error naming the database
// path, what was being done and SQLite's message.
#pragma once

#include "tilescope/core/error.h"

#include <cstdint>
#include <optional>
#include <sqlite3.h>
#include <string>

namespace tilescope::store::detail {

class Database {
public:
  // Opens (creating) the file. Throws Error naming `path`.
  explicit Database(std::string path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

  // Runs SQL without results (several statements allowed).
  void exec(const std::string& sql);
  // The single integer a pragma or query returns.
  std::int64_t query_int(const std::string& sql);
  std::string query_text(const std::string& sql);
  std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }

  // Throws Error("<path>: <what>: <SQLite's message>").
  [[noreturn]] void fail(const std::string& what) const;

private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

class Statement {
public:
  Statement(Database& db, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, const std::optional<std::int64_t>& value);
  // Binds the next parameter (1, 2, ...): for queries assembled from optional filters.
  template <typename T> Statement& bind_next(const T& value) { return bind(++next_index_, value); }

  // One step: true when a row is ready. A UNIQUE or PRIMARY KEY violation throws
  // ConflictError, any other failure Error.
  bool step();
  // Steps to the end (statements without rows).
  void run();
  void reset();

  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string text(int column) const;

private:
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
  int next_index_ = 0;
};

// BEGIN IMMEDIATE (takes the write lock at once, so busy_timeout applies to it rather
// than failing at the first write); rolled back unless commit() ran.
class Transaction {
public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

private:
  Database& db_;
  bool done_ = false;
};

} // namespace tilescope::store::detail
