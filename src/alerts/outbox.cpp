#include "tilescope/alerts/outbox.h"

#include "sqlite_statement.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>

namespace tilescope::alerts {

using detail::exec;
using detail::Statement;
using detail::Transaction;
using nlohmann::json;

namespace {

// alerts_cooldowns came later, still version 1: CREATE ... IF NOT EXISTS adds it to an
// existing database, and an older tilescope ignores it.
constexpr int kSchemaVersion = 1;
constexpr std::size_t kMaxErrorLength = 500;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS alerts_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts_outbox(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  rule TEXT NOT NULL,
  sink TEXT NOT NULL,
  camera TEXT NOT NULL,
  event_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  attachment TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
  attempts INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  queued_ms INTEGER NOT NULL,
  finished_ms INTEGER);
CREATE INDEX IF NOT EXISTS alerts_outbox_heads ON alerts_outbox(sink, state, camera, seq);
CREATE TABLE IF NOT EXISTS alerts_rules(
  position INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  rule_json TEXT NOT NULL,
  updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS alerts_cooldowns(
  rule TEXT NOT NULL,
  camera TEXT NOT NULL,
  fired_ms INTEGER NOT NULL,
  PRIMARY KEY (rule, camera));
)sql";

constexpr const char* kColumns =
    "id, seq, rule, sink, camera, event_id, type, payload, attachment, state, attempts, "
    "next_attempt_ms, last_error, created_ms, queued_ms, finished_ms";

// The heads: per camera, the oldest pending delivery of a sink.
constexpr const char* kHeads =
    "seq IN (SELECT MIN(seq) FROM alerts_outbox WHERE sink = ?1 AND state = 'pending' GROUP BY camera)";

Delivery read_delivery(const Statement& row) {
  Delivery d;
  d.id = row.text(0);
  d.seq = row.int64(1);
  d.rule = row.text(2);
  d.sink = row.text(3);
  d.camera = row.text(4);
  d.event_id = row.int64(5);
  d.type = row.text(6);
  d.payload = json::parse(row.text(7), nullptr, /*allow_exceptions=*/false);
  d.attachment = row.text(8);
  d.state = parse_delivery_state(row.text(9)).value_or(DeliveryState::kFailed);
  d.attempts = static_cast<int>(row.int64(10));
  d.next_attempt_ms = row.int64(11);
  d.last_error = row.text(12);
  d.created_ms = row.int64(13);
  d.queued_ms = row.int64(14);
  if (!row.is_null(15)) d.finished_ms = row.int64(15);
  return d;
}

std::string truncate_error(const std::string& error) {
  return error.size() <= kMaxErrorLength ? error : error.substr(0, kMaxErrorLength) + "...";
}

} // namespace

const char* to_string(DeliveryState state) {
  switch (state) {
  case DeliveryState::kPending: return "pending";
  case DeliveryState::kSent: return "sent";
  case DeliveryState::kFailed: return "failed";
  }
  return "pending";
}

std::optional<DeliveryState> parse_delivery_state(std::string_view text) {
  if (text == "pending") return DeliveryState::kPending;
  if (text == "sent") return DeliveryState::kSent;
  if (text == "failed") return DeliveryState::kFailed;
  return std::nullopt;
}

std::string new_delivery_id() {
  // std::random_device reads the kernel's generator (getrandom) on Linux.
  static std::mutex mutex;
  static std::random_device device;
  std::array<unsigned char, 16> bytes{};
  {
    std::lock_guard lock(mutex);
    for (std::size_t i = 0; i < bytes.size(); i += 4) {
      const unsigned int word = device();
      for (std::size_t j = 0; j < 4; ++j)
        bytes[i + j] = static_cast<unsigned char>(word >> (8 * j));
    }
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40); // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80); // RFC 4122 variant
  std::string id;
  char hex[3];
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
    std::snprintf(hex, sizeof hex, "%02x", bytes[i]);
    id += hex;
  }
  return id;
}

json delivery_to_json(const Delivery& d) {
  return json{
      {"id", d.id},
      {"seq", d.seq},
      {"rule", d.rule},
      {"sink", d.sink},
      {"camera", d.camera},
      {"event_id", d.event_id},
      {"type", d.type},
      {"state", to_string(d.state)},
      {"attempts", d.attempts},
      {"next_attempt_ms", d.state == DeliveryState::kPending ? json(d.next_attempt_ms) : json(nullptr)},
      {"last_error", d.last_error},
      {"created_ms", d.created_ms},
      {"queued_ms", d.queued_ms},
      {"finished_ms", d.finished_ms ? json(*d.finished_ms) : json(nullptr)},
      {"has_attachment", !d.attachment.empty()},
      {"payload", d.payload}};
}

struct Outbox::Impl {
  mutable std::mutex mutex;
  sqlite3* db = nullptr;
  ~Impl() { sqlite3_close_v2(db); }
};

Outbox::Outbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Outbox::~Outbox() = default;

std::unique_ptr<Outbox> Outbox::open(const std::string& database_path) {
  auto impl = std::make_unique<Impl>();
  std::error_code ignored;
  const auto parent = std::filesystem::path(database_path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
  if (sqlite3_open_v2(database_path.c_str(), &impl->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
    throw Error("alerts: cannot open database " + database_path + ": " +
                (impl->db != nullptr ? sqlite3_errmsg(impl->db) : "out of memory"));
  try {
    // The store's connection shares the file: wait for its short write transactions.
    sqlite3_busy_timeout(impl->db, 5000);
    exec(impl->db, "PRAGMA journal_mode=WAL");
    // NORMAL in WAL: a committed transaction survives a process crash (kill -9).
    exec(impl->db, "PRAGMA synchronous=NORMAL");
    Transaction transaction(impl->db);
    exec(impl->db, kSchema);
    Statement version(impl->db, "SELECT value FROM alerts_meta WHERE key = 'schema_version'");
    if (version.step()) {
      if (std::atoi(version.text(0).c_str()) > kSchemaVersion)
        throw Error("alerts: " + database_path + " holds alerts schema " + version.text(0) +
                    ", newer than this tilescope understands (" + std::to_string(kSchemaVersion) + ")");
    } else {
      Statement insert(impl->db, "INSERT INTO alerts_meta(key, value) VALUES ('schema_version', ?1)");
      insert.bind(1, std::to_string(kSchemaVersion)).run();
    }
    transaction.commit();
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " [" + database_path + "]");
  }
  return std::unique_ptr<Outbox>(new Outbox(std::move(impl)));
}

void Outbox::enqueue(std::vector<Delivery>& deliveries, std::int64_t now_ms,
                     const std::vector<CameraCooldown>& cooldowns) {
  if (deliveries.empty() && cooldowns.empty()) return;
  std::lock_guard lock(impl_->mutex);
  Transaction transaction(impl_->db);
  Statement mark(impl_->db,
                 "INSERT INTO alerts_cooldowns(rule, camera, fired_ms) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT(rule, camera) DO UPDATE SET fired_ms = MAX(fired_ms, excluded.fired_ms)");
  for (const CameraCooldown& cooldown : cooldowns) {
    mark.bind(1, cooldown.rule).bind(2, cooldown.camera).bind(3, cooldown.fired_ms).run();
    mark.reset();
  }
  Statement insert(impl_->db,
                   "INSERT INTO alerts_outbox(id, rule, sink, camera, event_id, type, payload, attachment, "
                   "state, attempts, next_attempt_ms, last_error, created_ms, queued_ms) VALUES "
                   "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', 0, ?9, '', ?9, ?9)");
  for (Delivery& d : deliveries) {
    if (d.id.empty()) d.id = new_delivery_id();
    d.state = DeliveryState::kPending;
    d.attempts = 0;
    d.created_ms = d.queued_ms = d.next_attempt_ms = now_ms;
    d.finished_ms.reset();
    d.last_error.clear();
    insert.bind(1, d.id)
        .bind(2, d.rule)
        .bind(3, d.sink)
        .bind(4, d.camera)
        .bind(5, d.event_id)
        .bind(6, d.type);
    insert.bind(7, d.payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        .bind(8, d.attachment)
        .bind(9, now_ms);
    insert.run();
    insert.reset();
    d.seq = sqlite3_last_insert_rowid(impl_->db);
  }
  transaction.commit();
}

std::vector<CameraCooldown> Outbox::cooldowns() const {
  std::lock_guard lock(impl_->mutex);
  Statement select(impl_->db, "SELECT rule, camera, fired_ms FROM alerts_cooldowns ORDER BY rule, camera");
  std::vector<CameraCooldown> out;
  while (select.step())
    out.push_back({select.text(0), select.text(1), select.int64(2)});
  return out;
}

std::vector<Delivery> Outbox::due_heads(const std::string& sink, std::int64_t now_ms, int limit) const {
  std::lock_guard lock(impl_->mutex);
  const std::string sql = std::string("SELECT ") + kColumns + " FROM alerts_outbox WHERE " + kHeads +
                          " AND next_attempt_ms <= ?2 ORDER BY seq LIMIT ?3";
  Statement select(impl_->db, sql.c_str());
  select.bind(1, sink).bind(2, now_ms).bind(3, limit);
  std::vector<Delivery> heads;
  while (select.step())
    heads.push_back(read_delivery(select));
  return heads;
}

std::optional<std::int64_t> Outbox::next_due_ms(const std::string& sink) const {
  std::lock_guard lock(impl_->mutex);
  const std::string sql = std::string("SELECT MIN(next_attempt_ms) FROM alerts_outbox WHERE ") + kHeads;
  Statement select(impl_->db, sql.c_str());
  select.bind(1, sink);
  if (!select.step() || select.is_null(0)) return std::nullopt;
  return select.int64(0);
}

bool Outbox::mark_sent(const std::string& id, std::int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  Statement update(impl_->db,
                   "UPDATE alerts_outbox SET state = 'sent', attempts = attempts + 1, finished_ms = ?2, "
                   "last_error = '' WHERE id = ?1 AND state = 'pending'");
  update.bind(1, id).bind(2, now_ms).run();
  return sqlite3_changes(impl_->db) > 0;
}

DeliveryState Outbox::mark_attempt_failed(const std::string& id, const std::string& error,
                                          std::int64_t now_ms, const OutboxSettings& settings) {
  std::lock_guard lock(impl_->mutex);
  Transaction transaction(impl_->db);
  Statement select(impl_->db, "SELECT attempts, queued_ms, state FROM alerts_outbox WHERE id = ?1");
  select.bind(1, id);
  if (!select.step()) return DeliveryState::kFailed;
  const auto state = parse_delivery_state(select.text(2)).value_or(DeliveryState::kFailed);
  if (state != DeliveryState::kPending) return state;
  const int attempts = static_cast<int>(select.int64(0)) + 1;
  const std::int64_t queued_ms = select.int64(1);
  const bool out_of_attempts = settings.max_attempts > 0 && attempts >= settings.max_attempts;
  const bool too_old = settings.give_up_after_s > 0 &&
                       static_cast<double>(now_ms - queued_ms) >= settings.give_up_after_s * 1000.0;
  if (out_of_attempts || too_old) {
    Statement update(impl_->db, "UPDATE alerts_outbox SET state = 'failed', attempts = ?2, last_error = ?3, "
                                "finished_ms = ?4 WHERE id = ?1");
    update.bind(1, id).bind(2, attempts).bind(3, truncate_error(error)).bind(4, now_ms).run();
    transaction.commit();
    return DeliveryState::kFailed;
  }
  const double wait_s = std::min(settings.backoff_max_s,
                                 settings.backoff_initial_s * std::pow(2.0, std::min(attempts - 1, 40)));
  Statement update(impl_->db, "UPDATE alerts_outbox SET attempts = ?2, last_error = ?3, next_attempt_ms = ?4 "
                              "WHERE id = ?1");
  update.bind(1, id).bind(2, attempts).bind(3, truncate_error(error));
  update.bind(4, now_ms + static_cast<std::int64_t>(std::llround(wait_s * 1000))).run();
  transaction.commit();
  return DeliveryState::kPending;
}

int Outbox::fail_unknown_sinks(const std::vector<std::string>& sinks, std::int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  Transaction transaction(impl_->db);
  std::vector<std::string> pending_sinks;
  {
    Statement select(impl_->db, "SELECT DISTINCT sink FROM alerts_outbox WHERE state = 'pending'");
    while (select.step())
      pending_sinks.push_back(select.text(0));
  }
  int failed = 0;
  for (const std::string& sink : pending_sinks) {
    if (std::find(sinks.begin(), sinks.end(), sink) != sinks.end()) continue;
    Statement update(impl_->db,
                     "UPDATE alerts_outbox SET state = 'failed', last_error = ?2, finished_ms = ?3 "
                     "WHERE sink = ?1 AND state = 'pending'");
    update.bind(1, sink).bind(2, "sink \"" + sink + "\" is not configured any more").bind(3, now_ms).run();
    failed += sqlite3_changes(impl_->db);
  }
  transaction.commit();
  return failed;
}

RetryResult Outbox::retry(const std::string& id, std::int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  Transaction transaction(impl_->db);
  Statement select(impl_->db, "SELECT state FROM alerts_outbox WHERE id = ?1");
  select.bind(1, id);
  if (!select.step()) return RetryResult::kNotFound;
  if (select.text(0) != "failed") return RetryResult::kNotFailed;
  Statement update(impl_->db,
                   "UPDATE alerts_outbox SET state = 'pending', next_attempt_ms = ?2, queued_ms = ?2, "
                   "finished_ms = NULL WHERE id = ?1");
  update.bind(1, id).bind(2, now_ms).run();
  transaction.commit();
  return RetryResult::kQueued;
}

int Outbox::prune(std::int64_t before_ms) {
  std::lock_guard lock(impl_->mutex);
  Statement remove(impl_->db, "DELETE FROM alerts_outbox WHERE state != 'pending' AND finished_ms < ?1");
  remove.bind(1, before_ms).run();
  return sqlite3_changes(impl_->db);
}

std::optional<Delivery> Outbox::get(const std::string& id) const {
  std::lock_guard lock(impl_->mutex);
  const std::string sql = std::string("SELECT ") + kColumns + " FROM alerts_outbox WHERE id = ?1";
  Statement select(impl_->db, sql.c_str());
  select.bind(1, id);
  if (!select.step()) return std::nullopt;
  return read_delivery(select);
}

DeliveryPage Outbox::list(const DeliveryFilter& filter) const {
  std::string where = " WHERE 1 = 1";
  if (filter.state) where += " AND state = ?1";
  if (filter.camera) where += " AND camera = ?2";
  if (filter.sink) where += " AND sink = ?3";
  if (filter.rule) where += " AND rule = ?4";
  if (filter.event_id) where += " AND event_id = ?5";
  const auto bind = [&](Statement& statement) {
    if (filter.state) statement.bind(1, to_string(*filter.state));
    if (filter.camera) statement.bind(2, *filter.camera);
    if (filter.sink) statement.bind(3, *filter.sink);
    if (filter.rule) statement.bind(4, *filter.rule);
    if (filter.event_id) statement.bind(5, *filter.event_id);
  };
  std::lock_guard lock(impl_->mutex);
  DeliveryPage page;
  const std::string count_sql = "SELECT COUNT(*) FROM alerts_outbox" + where;
  Statement count(impl_->db, count_sql.c_str());
  bind(count);
  if (count.step()) page.total = count.int64(0);
  const std::string sql = std::string("SELECT ") + kColumns + " FROM alerts_outbox" + where +
                          " ORDER BY seq DESC LIMIT ?6 OFFSET ?7";
  Statement select(impl_->db, sql.c_str());
  bind(select);
  select.bind(6, std::clamp(filter.limit, 1, 500)).bind(7, std::max(0, filter.offset));
  while (select.step())
    page.deliveries.push_back(read_delivery(select));
  return page;
}

DeliveryCounts Outbox::counts() const {
  std::lock_guard lock(impl_->mutex);
  Statement select(impl_->db, "SELECT state, COUNT(*) FROM alerts_outbox GROUP BY state");
  DeliveryCounts counts;
  while (select.step()) {
    const auto state = parse_delivery_state(select.text(0));
    if (state == DeliveryState::kPending) counts.pending = select.int64(1);
    if (state == DeliveryState::kSent) counts.sent = select.int64(1);
    if (state == DeliveryState::kFailed) counts.failed = select.int64(1);
  }
  return counts;
}

std::optional<Outbox::StoredRules> Outbox::stored_rules() const {
  std::lock_guard lock(impl_->mutex);
  Statement origin(impl_->db, "SELECT value FROM alerts_meta WHERE key = 'rules_origin'");
  if (!origin.step()) return std::nullopt;
  StoredRules stored{json::array(), origin.text(0)};
  Statement select(impl_->db, "SELECT rule_json FROM alerts_rules ORDER BY position");
  while (select.step()) {
    json rule = json::parse(select.text(0), nullptr, /*allow_exceptions=*/false);
    if (!rule.is_discarded()) stored.rules.push_back(std::move(rule));
  }
  return stored;
}

void Outbox::store_rules(const json& rules, const std::string& origin, std::int64_t now_ms) {
  std::lock_guard lock(impl_->mutex);
  Transaction transaction(impl_->db);
  exec(impl_->db, "DELETE FROM alerts_rules");
  Statement insert(impl_->db,
                   "INSERT INTO alerts_rules(position, name, rule_json, updated_ms) VALUES (?1, ?2, ?3, ?4)");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    insert.bind(1, static_cast<std::int64_t>(i))
        .bind(2, rules[i].value("name", ""))
        .bind(3, rules[i].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    insert.bind(4, now_ms).run();
    insert.reset();
  }
  Statement meta(impl_->db, "INSERT INTO alerts_meta(key, value) VALUES ('rules_origin', ?1) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  meta.bind(1, origin).run();
  transaction.commit();
}

} // namespace tilescope::alerts
