// kill -9 at random moments while a writer process uses the store: the database stays
// consistent, no row names a missing or half-written snapshot, events left open are
// closed when the store opens again, and nothing committed is lost.
#include "temp_dir.h"
#include "tilescope/store/store.h"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <poll.h>
#include <random>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace tilescope::store {
namespace {

namespace fs = std::filesystem;

// Starts the writer; returns its pid and the read end of its stdout.
std::pair<pid_t, int> start_writer(const std::string& dir, unsigned seed) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  const std::string seed_text = std::to_string(seed);
  char* argv[] = {const_cast<char*>(STORE_CRASH_WRITER), const_cast<char*>(dir.c_str()),
                  const_cast<char*>(seed_text.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, STORE_CRASH_WRITER, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return {-1, -1};
  }
  return {pid, pipe_fds[0]};
}

// Waits (bounded) for the writer's "ready" line.
bool wait_ready(int fd, std::chrono::seconds timeout) {
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (seen.find("ready\n") == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[64];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return false; // the writer died
    seen.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

std::string integrity_check(const std::string& db_path) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_stmt* statement = nullptr;
  std::string result = "cannot run integrity_check";
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    result = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return result;
}

// A snapshot is complete when its length matches the length it starts with.
bool complete_snapshot(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char head[4] = {};
  if (!in.read(reinterpret_cast<char*>(head), 4)) return false;
  const std::uint32_t length =
      head[0] | head[1] << 8 | head[2] << 16 | static_cast<std::uint32_t>(head[3]) << 24;
  return fs::file_size(path) == length;
}

TEST(StoreCrash, KillNineAtRandomMomentsLeavesAConsistentStore) {
  testing::TempDir dir;
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> delay_ms(200, 900);
  std::int64_t previous_total = 0, previous_max_id = 0;
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    const unsigned seed = random();
    SCOPED_TRACE("round " + std::to_string(round) + ", writer seed " + std::to_string(seed));
    const auto [pid, out] = start_writer(dir.str(), seed);
    ASSERT_GT(pid, 0) << "cannot start " << STORE_CRASH_WRITER;
    const bool ready = wait_ready(out, std::chrono::seconds(60));
    if (ready) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(out);
    ASSERT_TRUE(ready) << "the writer did not start writing";
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer exited on its own: " << status;

    const std::string db_path = dir.str() + "/tilescope.db";
    EXPECT_EQ(integrity_check(db_path), "ok");
    auto store = Store::open(dir.str());
    EventFilter open;
    open.open = true;
    EXPECT_EQ(store->events(open).total, 0) << "open events are closed when the store opens";

    EventFilter all;
    all.limit = 500;
    EventPage page = store->events(all);
    const std::int64_t total = page.total;
    EXPECT_GT(total, previous_total) << "each round commits at least one event and loses none";
    std::int64_t max_id = 0, checked = 0;
    for (all.offset = 0; all.offset < total; all.offset += all.limit) {
      page = store->events(all);
      for (const EventRecord& event : page.events) {
        max_id = std::max(max_id, event.id);
        ASSERT_TRUE(event.end_ms) << "event " << event.id;
        EXPECT_GE(*event.end_ms, event.start_ms);
        ++checked;
        if (event.snapshot.empty()) continue;
        const auto path = store->snapshot_path(event.snapshot);
        ASSERT_TRUE(path) << "event " << event.id << " names a missing snapshot " << event.snapshot;
        EXPECT_TRUE(complete_snapshot(*path)) << *path << " is half-written";
      }
    }
    EXPECT_EQ(checked, total);
    EXPECT_GE(max_id, previous_max_id);
    EXPECT_TRUE(store->setting("writer.iteration")) << "settings commit too";
    previous_total = total;
    previous_max_id = max_id;
  }
}

} // namespace
} // namespace tilescope::store
