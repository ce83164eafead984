// A server process for a test: spawned with its stdout on a pipe, ready once it prints
// "READY <urls>", always ended (SIGTERM, then SIGKILL) when the object goes away, so a
// failing test leaves nothing running.
#pragma once

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace tilescope::video::testing {

class ChildProcess {
public:
  // Starts argv (argv[0] a path). Check running() after.
  explicit ChildProcess(const std::vector<std::string>& argv) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO); // dup2 clears CLOEXEC
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
      pid_ = -1;
      ::close(fds[0]);
      return;
    }
    out_fd_ = fds[0];
  }
  ~ChildProcess() {
    terminate();
    if (out_fd_ >= 0) ::close(out_fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running() const { return pid_ > 0; }
  int exit_code() const { return exit_code_; } // after it ended by itself; -1 otherwise

  // Reads stdout until a line "READY ..." and returns what follows READY; empty when the
  // process exits or prints nothing of the kind within `timeout`.
  std::string wait_ready(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (out_fd_ >= 0) {
      for (auto newline = buffer_.find('\n'); newline != std::string::npos; newline = buffer_.find('\n')) {
        const std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        if (line.rfind("READY ", 0) == 0) return line.substr(6);
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return {};
      pollfd pfd{out_fd_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(out_fd_, chunk, sizeof(chunk));
      if (n <= 0) break; // the process closed stdout: it has exited
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    reap(std::chrono::milliseconds(2000)); // for exit_code()
    return {};
  }

  // Like a crash or a pulled plug: no goodbye to the clients.
  void kill_now() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    reap(std::chrono::milliseconds(5000));
  }

  void terminate() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!reap(std::chrono::milliseconds(3000))) kill_now();
  }

private:
  // Waits up to `timeout` for the process to end; true when it has (and is reaped).
  bool reap(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return true;
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (true) {
      int status = 0;
      const pid_t rc = ::waitpid(pid_, &status, WNOHANG);
      if (rc == pid_ || (rc < 0 && errno == ECHILD)) {
        if (rc == pid_ && WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
        pid_ = -1;
        return true;
      }
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int exit_code_ = -1;
  std::string buffer_;
};

} // namespace tilescope::video::testing
