// Real servers for the alerts tests, each started by the test on 127.0.0.1 and always
// stopped (destructors; children also die with the test process: PR_SET_PDEATHSIG):
// an SMTP server (tools/smtp_receiver.py, aiosmtpd), mosquitto, an HTTP receiver for
// webhooks (tools/webhook_receiver.py), and an MQTT subscriber (libmosquitto).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/types.h>
#include <vector>

struct mosquitto;
struct mosquitto_message;

namespace tilescope::alerts::testing {

using namespace std::chrono_literals;

std::string source_path(const std::string& relative); // under the repository root
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);
// Polls `done` until true or `timeout`.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = 20ms);
int free_port(); // a port the kernel just handed out on 127.0.0.1 (then released)
bool port_open(int port);

class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

// A child process; stdout and stderr go to `log_file` ("" : /dev/null).
class Process {
public:
  Process(const std::vector<std::string>& argv, const std::string& log_file = "");
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  pid_t pid() const { return pid_; }
  bool running();
  // Exit code (128 + signal when killed); -1 when still running after `timeout`.
  int wait(std::chrono::milliseconds timeout);
  void kill_now(); // SIGKILL, reaped
  void stop();     // SIGTERM, then SIGKILL after 5 s; reaped

private:
  pid_t pid_ = -1;
  int status_ = -1;
};

// A self-signed certificate for localhost (openssl CLI) in `dir`: {cert, key} paths.
std::pair<std::string, std::string> make_certificate(const TempDir& dir);

struct SmtpOptions {
  enum class Tls { kNone, kStartTls, kImplicit };
  Tls tls = Tls::kNone;
  std::string auth; // "user:password" : AUTH required
  int hang_on = 0;  // tools/smtp_receiver.py --hang-on
};

class SmtpServer {
public:
  explicit SmtpServer(SmtpOptions options = {});
  ~SmtpServer();
  void start(); // on the same port as before, when it ran already
  void stop();
  int port() const { return port_; }
  std::string url() const; // smtp(s)://127.0.0.1:<port>
  const std::string& dir() const { return messages_dir_; }

  struct Message {
    std::string raw;
    nlohmann::json meta; // received_ms, mail_from, rcpt_tos, auth_login, tls, peer
  };
  std::vector<Message> messages() const; // in arrival order
  bool wait_for_messages(std::size_t count, std::chrono::milliseconds timeout) const;

private:
  SmtpOptions options_;
  TempDir dir_;
  std::string messages_dir_;
  std::string cert_, key_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

class Mosquitto {
public:
  Mosquitto();
  ~Mosquitto();
  void start();
  void stop();
  int port() const { return port_; }

private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

// Subscribes to `filter` and keeps every message.
class MqttSubscriber {
public:
  struct Message {
    std::string topic;
    std::string payload;
    bool retain = false;
  };
  MqttSubscriber(int port, const std::string& filter);
  ~MqttSubscriber();
  std::vector<Message> messages() const;
  // Waits for a message on `topic` (with `payload` when given); true when it came.
  bool wait_for(const std::string& topic, const std::string& payload,
                std::chrono::milliseconds timeout) const;
  bool wait_for(const std::function<bool(const std::vector<Message>&)>& done,
                std::chrono::milliseconds timeout) const;

private:
  static void on_message(mosquitto*, void*, const mosquitto_message*);
  mosquitto* mosq_ = nullptr;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<Message> messages_;
};

class WebhookReceiver {
public:
  WebhookReceiver(const std::string& secret, const std::string& statuses = "", double delay_s = 0);
  ~WebhookReceiver();
  std::string url() const;                      // http://127.0.0.1:<port>/hook
  std::vector<nlohmann::json> requests() const; // tools/webhook_receiver.py records, in order

private:
  TempDir dir_;
  std::string requests_dir_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

// The message parsed by Python's email package (tests/alerts/parse_mime.py): headers,
// MIME structure, bodies, parts with their sha256.
nlohmann::json parse_mime(const std::string& raw);
std::string sha256_hex(const std::string& bytes);
// Bytes that look like a JPEG and hold every byte value, CR LF and leading dots: what a
// transport must carry unchanged.
std::string fake_jpeg(std::size_t size, unsigned seed);

} // namespace tilescope::alerts::testing
