#include "test_servers.h"

#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <mosquitto.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <random>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace tilescope::alerts::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPython = "/usr/bin/python3";
constexpr auto kStartTimeout = 15s;

// Reads <dir>/ready (written by the receivers once they listen): the port, or 0.
int ready_port(const std::string& dir) {
  std::ifstream file(dir + "/ready");
  int port = 0;
  file >> port;
  return port;
}

} // namespace

std::string source_path(const std::string& relative) {
  return std::string(TILESCOPE_SOURCE_DIR) + "/" + relative;
}

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream file(path, std::ios::binary);
  file << content;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
  return true;
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    throw std::runtime_error("no free port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

bool port_open(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool open = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return open;
}

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "tilescope-alerts-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

Process::Process(const std::vector<std::string>& argv, const std::string& log_file) {
  std::vector<char*> args;
  for (const std::string& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const std::string log = log_file.empty() ? "/dev/null" : log_file;
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Only async-signal-safe calls between fork and exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execv(args[0], args.data());
    _exit(127);
  }
}

Process::~Process() { stop(); }

bool Process::running() { return wait(0ms) == -1; }

int Process::wait(std::chrono::milliseconds timeout) {
  if (pid_ < 0) return status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(10ms);
  }
}

void Process::kill_now() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGKILL);
  wait(10s);
}

void Process::stop() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGTERM);
  if (wait(5s) == -1) kill_now();
}

std::pair<std::string, std::string> make_certificate(const TempDir& dir) {
  const std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
  const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key + " -out " + cert +
                              " -days 2 -subj /CN=localhost >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("openssl could not make a certificate");
  return {cert, key};
}

// --- SMTP ---

SmtpServer::SmtpServer(SmtpOptions options) : options_(std::move(options)), messages_dir_(dir_.file("mail")) {
  if (options_.tls != SmtpOptions::Tls::kNone) std::tie(cert_, key_) = make_certificate(dir_);
  start();
}

SmtpServer::~SmtpServer() { stop(); }

void SmtpServer::start() {
  fs::create_directories(messages_dir_);
  for (int attempt = 0; attempt < 5; ++attempt) {
    fs::remove(messages_dir_ + "/ready");
    std::vector<std::string> argv = {kPython,  source_path("tools/smtp_receiver.py"),
                                     "--dir",  messages_dir_,
                                     "--port", std::to_string(port_)};
    if (options_.tls == SmtpOptions::Tls::kStartTls) argv.insert(argv.end(), {"--starttls", cert_, key_});
    if (options_.tls == SmtpOptions::Tls::kImplicit) argv.insert(argv.end(), {"--tls", cert_, key_});
    if (!options_.auth.empty()) argv.insert(argv.end(), {"--auth", options_.auth});
    if (options_.hang_on > 0) argv.insert(argv.end(), {"--hang-on", std::to_string(options_.hang_on)});
    process_ = std::make_unique<Process>(argv, dir_.file("smtp.log"));
    const bool ready =
        wait_until([&] { return ready_port(messages_dir_) > 0 || !process_->running(); }, kStartTimeout);
    if (ready && ready_port(messages_dir_) > 0) {
      port_ = ready_port(messages_dir_);
      return;
    }
    process_->stop();
    // The port of the previous run may not be free yet (another process took it): wait.
    std::this_thread::sleep_for(500ms);
  }
  throw std::runtime_error("the SMTP server did not start: " + read_file(dir_.file("smtp.log")));
}

void SmtpServer::stop() {
  if (process_) process_->stop();
  process_.reset();
}

std::string SmtpServer::url() const {
  return std::string(options_.tls == SmtpOptions::Tls::kImplicit ? "smtps" : "smtp") +
         "://127.0.0.1:" + std::to_string(port_);
}

std::vector<SmtpServer::Message> SmtpServer::messages() const {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(messages_dir_))
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  std::vector<Message> out;
  for (const std::string& name : names) {
    const std::string base = messages_dir_ + "/" + name;
    if (!fs::exists(base + ".eml")) continue;
    out.push_back({read_file(base + ".eml"), nlohmann::json::parse(read_file(base + ".json"))});
  }
  return out;
}

bool SmtpServer::wait_for_messages(std::size_t count, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return messages().size() >= count; }, timeout, 50ms);
}

// --- mosquitto ---

Mosquitto::Mosquitto() { start(); }
Mosquitto::~Mosquitto() { stop(); }

void Mosquitto::start() {
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (port_ == 0 || attempt > 2) port_ = free_port();
    const std::string config = dir_.file("mosquitto.conf");
    write_file(config,
               "listener " + std::to_string(port_) + " 127.0.0.1\nallow_anonymous true\npersistence false\n");
    process_ = std::make_unique<Process>(std::vector<std::string>{"/usr/sbin/mosquitto", "-c", config},
                                         dir_.file("mosquitto.log"));
    if (wait_until([&] { return port_open(port_) || !process_->running(); }, kStartTimeout) &&
        process_->running())
      return;
    process_->stop();
    std::this_thread::sleep_for(500ms);
  }
  throw std::runtime_error("mosquitto did not start: " + read_file(dir_.file("mosquitto.log")));
}

void Mosquitto::stop() {
  if (process_) process_->stop();
  process_.reset();
}

MqttSubscriber::MqttSubscriber(int port, const std::string& filter) {
  mosquitto_lib_init();
  mosq_ = mosquitto_new(nullptr, true, this);
  mosquitto_message_callback_set(mosq_, &MqttSubscriber::on_message);
  if (mosquitto_connect(mosq_, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS)
    throw std::runtime_error("the test subscriber cannot connect to mosquitto");
  mosquitto_subscribe(mosq_, nullptr, filter.c_str(), 1);
  mosquitto_loop_start(mosq_);
  // The subscription is in place once the SUBACK came; a message to ourselves shows it.
  const std::string probe = "probe/" + std::to_string(reinterpret_cast<std::uintptr_t>(this));
  mosquitto_subscribe(mosq_, nullptr, probe.c_str(), 1);
  wait_until(
      [&] {
        mosquitto_publish(mosq_, nullptr, probe.c_str(), 1, "1", 1, false);
        return wait_for(probe, "", 200ms);
      },
      10s, 1ms);
}

MqttSubscriber::~MqttSubscriber() {
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, false);
  mosquitto_destroy(mosq_);
}

void MqttSubscriber::on_message(mosquitto*, void* self_ptr, const mosquitto_message* message) {
  auto* self = static_cast<MqttSubscriber*>(self_ptr);
  {
    std::lock_guard lock(self->mutex_);
    self->messages_.push_back({message->topic,
                               std::string(static_cast<const char*>(message->payload), message->payloadlen),
                               message->retain});
  }
  self->cv_.notify_all();
}

std::vector<MqttSubscriber::Message> MqttSubscriber::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

bool MqttSubscriber::wait_for(const std::string& topic, const std::string& payload,
                              std::chrono::milliseconds timeout) const {
  return wait_for(
      [&](const std::vector<Message>& messages) {
        return std::any_of(messages.begin(), messages.end(), [&](const Message& m) {
          return m.topic == topic && (payload.empty() || m.payload == payload);
        });
      },
      timeout);
}

bool MqttSubscriber::wait_for(const std::function<bool(const std::vector<Message>&)>& done,
                              std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return done(messages_); });
}

// --- webhook receiver ---

WebhookReceiver::WebhookReceiver(const std::string& secret, const std::string& statuses, double delay_s)
    : requests_dir_(dir_.file("requests")) {
  fs::create_directories(requests_dir_);
  std::vector<std::string> argv = {kPython, source_path("tools/webhook_receiver.py"), "--dir", requests_dir_};
  if (!secret.empty()) argv.insert(argv.end(), {"--secret", secret});
  if (!statuses.empty()) argv.insert(argv.end(), {"--statuses", statuses});
  if (delay_s > 0) argv.insert(argv.end(), {"--delay-s", std::to_string(delay_s)});
  process_ = std::make_unique<Process>(argv, dir_.file("webhook.log"));
  if (!wait_until([&] { return ready_port(requests_dir_) > 0 || !process_->running(); }, kStartTimeout) ||
      ready_port(requests_dir_) == 0)
    throw std::runtime_error("the webhook receiver did not start: " + read_file(dir_.file("webhook.log")));
  port_ = ready_port(requests_dir_);
}

WebhookReceiver::~WebhookReceiver() { process_->stop(); }

std::string WebhookReceiver::url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

std::vector<nlohmann::json> WebhookReceiver::requests() const {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(requests_dir_))
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  std::vector<nlohmann::json> out;
  for (const std::string& file : files)
    out.push_back(nlohmann::json::parse(read_file(file)));
  return out;
}

// --- helpers ---

nlohmann::json parse_mime(const std::string& raw) {
  TempDir dir;
  write_file(dir.file("message.eml"), raw);
  const std::string command =
      std::string(kPython) + " " + source_path("tests/alerts/parse_mime.py") + " " + dir.file("message.eml");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run parse_mime.py");
  std::string output;
  char buffer[4096];
  while (const std::size_t n = fread(buffer, 1, sizeof buffer, pipe))
    output.append(buffer, n);
  if (pclose(pipe) != 0) throw std::runtime_error("parse_mime.py failed: " + output);
  return nlohmann::json::parse(output);
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  std::string hex;
  char byte[3];
  for (unsigned char c : digest) {
    std::snprintf(byte, sizeof byte, "%02x", c);
    hex += byte;
  }
  return hex;
}

std::string fake_jpeg(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string bytes = "\xFF\xD8\xFF\xE0";
  const std::string tricky = "\r\n.\r\n..\n.\r\r\n";
  while (bytes.size() + 2 < size) {
    if (random() % 64 == 0)
      bytes += tricky;
    else
      bytes += static_cast<char>(random() & 0xff);
  }
  bytes += "\xFF\xD9";
  return bytes;
}

} // namespace tilescope::alerts::testing
