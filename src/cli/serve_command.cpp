// `tilescope serve [--config tilescope.yml]`: the live system. The boot sequence:
//   1. the config (a commented default is written when the file does not exist yet);
//      an invalid file prints every issue with its path and nothing starts;
//   2. SIGINT / SIGTERM blocked in every thread (they are taken by sigwait below);
//   3. the System: store, model, one worker per enabled camera, jobs, retention;
//   4. the HTTP server (API, live streams, web UI);
//   5. wait for a signal, then stop the server and the system (open events closed).
#include "commands.h"
#include "default_model.h"
#include "tilescope/alerts/alert_service.h"
#include "tilescope/alerts/alerts_config.h"
#include "tilescope/config/config.h"
#include "tilescope/core/error.h"
#include "tilescope/core/redact.h"
#include "tilescope/pipeline/system.h"
#include "tilescope/server/http_server.h"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <pthread.h>

namespace tilescope::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultConfig = "tilescope.yml";

struct ServeArgs {
  std::string config_path;
  std::optional<int> port;
  std::optional<std::string> bind;
  std::optional<std::string> precision;
  std::string web_dir; // serve the UI from here instead of the embedded files
};

bool is_loopback(const std::string& bind) {
  return bind == "localhost" || bind == "::1" || bind.rfind("127.", 0) == 0;
}

// The live pipeline's events (and, for confirm {n, m} rules, its tracks) into the alerts.
class AlertsListener : public pipeline::Listener {
public:
  AlertsListener(alerts::AlertService& alerts, store::Store& store) : alerts_(alerts), store_(store) {}
  void on_event(const pipeline::EventNotice& notice) override {
    const std::string snapshot = store_.snapshot_path(notice.event.snapshot).value_or("");
    alerts_.on_event(to_alert_kind(notice.kind), notice.event, snapshot);
  }
  void on_frame(const pipeline::FrameResult& frame) override {
    std::vector<std::int64_t> track_ids;
    for (const pipeline::TrackedObject& o : frame.objects)
      track_ids.push_back(o.track_id);
    alerts_.observe_frame(frame.camera_name, track_ids);
  }

private:
  static alerts::EventKind to_alert_kind(pipeline::EventNotice::Kind kind) {
    switch (kind) {
    case pipeline::EventNotice::Kind::kOpened: return alerts::EventKind::kOpened;
    case pipeline::EventNotice::Kind::kUpdated: return alerts::EventKind::kUpdated;
    case pipeline::EventNotice::Kind::kClosed: break;
    }
    return alerts::EventKind::kClosed;
  }
  alerts::AlertService& alerts_;
  store::Store& store_;
};

void print_issues(const fs::path& path, const std::vector<config::ConfigIssue>& issues) {
  std::cerr << "error: " << path.string() << " is not a valid config; nothing was started:\n";
  for (const config::ConfigIssue& issue : issues)
    std::cerr << "  " << (issue.path.empty() ? "(document)" : issue.path) << ": " << issue.message << "\n";
}

// Writes the commented default config (one demo camera looping the sample video).
void write_default_config(const fs::path& path) {
  const std::string video = fs::absolute(sample_video_path()).string();
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream out(path);
  out << config::default_config_yaml(video);
  out.close();
  if (!out) throw Error(path.string() + ": cannot write the default config");
  std::cout << "wrote a default config to " << path.string() << " (one demo camera looping " << video
            << "; edit it and restart to change the system)\n";
}

// The address to print: a wildcard bind is reachable on loopback.
std::string browse_host(const std::string& bind) {
  if (bind == "0.0.0.0" || bind.empty()) return "127.0.0.1";
  if (bind == "::") return "[::1]";
  return bind.find(':') != std::string::npos ? "[" + bind + "]" : bind;
}

int run_serve(const ServeArgs& args) {
  // 1. Config.
  const fs::path path = args.config_path.empty() ? fs::path(kDefaultConfig) : fs::path(args.config_path);
  if (!fs::exists(path)) write_default_config(path);
  config::Config config;
  try {
    config = config::load_config(path.string());
  } catch (const config::ConfigError& e) {
    print_issues(path, e.issues());
    return 1;
  }
  // The alerts section is the alerts module's to check (the config module copies it).
  std::vector<config::ConfigIssue> alert_issues;
  const alerts::AlertsConfig alerts_config = alerts::parse_alerts_config(config.alerts, alert_issues);
  if (!alert_issues.empty()) {
    print_issues(path, alert_issues);
    return 1;
  }
  if (args.port) config.server.port = *args.port;
  if (args.bind) config.server.bind = *args.bind;
  if (args.precision) config.model.precision = *args.precision;
  if (!is_loopback(config.server.bind) && config.server.tokens.empty() && config.server.username.empty()) {
    throw Error("--bind " + config.server.bind +
                ": binding beyond loopback needs auth: set server.tokens or server.username and "
                "server.password in " +
                path.string());
  }

  // 2. Signals: blocked before any thread starts, so every thread inherits the mask and
  // only sigwait() below sees them (no async-signal-safety concerns in handlers).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // 3. The system.
  std::cout << "starting: " << config.cameras.size() << " camera(s) in the config, storage "
            << config.storage.path << "\n"
            << std::flush;
  std::unique_ptr<pipeline::System> system = pipeline::System::start(config);
  const auto cameras = system->cameras();
  for (const pipeline::CameraInfo& c : cameras) {
    std::cout << "camera " << c.id << " " << c.config.name << ": " << redact_url(c.config.url)
              << (c.running ? "" : " (disabled)") << "\n";
  }

  // Alerts: their outbox lives in the store's database.
  alerts::AlertServiceOptions alert_options;
  alert_options.database_path = (fs::path(system->store().dir()) / "tilescope.db").string();
  alert_options.fallback_ui_base_url =
      "http://" + browse_host(config.server.bind) + ":" + std::to_string(config.server.port);
  std::unique_ptr<alerts::AlertService> alert_service =
      alerts::AlertService::start(alerts_config, alert_options);
  const int alerts_listener =
      system->add_listener(std::make_shared<AlertsListener>(*alert_service, system->store()));
  std::cout << "alerts: " << alerts_config.rules.size() << " rule(s), " << alerts_config.sinks.size()
            << " sink(s)\n";

  // 4. HTTP.
  server::ServerOptions server_options;
  server_options.static_dir = args.web_dir;
  server_options.alerts = alert_service.get();
  std::unique_ptr<server::HttpServer> http =
      server::HttpServer::start(*system, config.server, server_options);
  std::cout << "open http://" << browse_host(config.server.bind) << ":" << http->port() << "\n" << std::flush;

  // 5. Until Ctrl-C or SIGTERM.
  int signal = 0;
  sigwait(&signals, &signal);
  std::cout << "\n" << (signal == SIGINT ? "SIGINT" : "SIGTERM") << ": stopping\n" << std::flush;
  http->stop(); // first: its handlers call into the system
  system->remove_listener(alerts_listener);
  system->stop();
  alert_service->stop(); // pending deliveries stay in the outbox for the next start
  std::cout << "stopped\n";
  return 0;
}

} // namespace

void add_serve_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Run the live system: cameras, events, HTTP API and web UI");
  static ServeArgs a;
  cmd->add_option("--config", a.config_path,
                  "Config file (default ./tilescope.yml; a commented default is written when missing)");
  cmd->add_option("--port", a.port, "Override server.port (0: any free port)")->check(CLI::Range(0, 65535));
  cmd->add_option("--bind", a.bind, "Override server.bind (beyond loopback needs auth in the config)");
  cmd->add_option("--precision", a.precision, "Override model.precision: fp32 | bf16 | int8")
      ->check(CLI::IsMember({"fp32", "bf16", "int8"}));
  cmd->add_option("--web-dir", a.web_dir,
                  "Serve the web UI from this folder (development) instead of the built-in files")
      ->check(CLI::ExistingDirectory);
  cmd->callback([] {
    const int rc = run_serve(a);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

} // namespace tilescope::cli
