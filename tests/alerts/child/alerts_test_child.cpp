// A process for the crash tests to kill -9: an AlertService with one sink that queues
// `--events` alerts spread over `--cameras` cameras, writes `--ready` when they are in
// the outbox, then sends until killed (or exits 0 once idle with --exit-when-idle).
//
//   alerts_test_child --db D --sink-json '{"name":"mail","type":"email",...}' --events 20
//                     --cameras 2 --snapshot F --ready R [--exit-when-idle]
#include "tilescope/alerts/alert_service.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>

using namespace tilescope::alerts;

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (key == "--exit-when-idle") {
      args[key] = "1";
      continue;
    }
    if (i + 1 < argc) args[key] = argv[++i];
  }
  const auto sink = nlohmann::json::parse(args["--sink-json"]);
  nlohmann::json section{{"sinks", {sink}},
                         {"rules", {{{"name", "all"}, {"sinks", {sink["name"]}}}}},
                         {"outbox", {{"backoff_initial_s", 0.2}, {"backoff_max_s", 0.5}}}};
  std::vector<tilescope::config::ConfigIssue> issues;
  const AlertsConfig config = parse_alerts_config(section, issues);
  for (const auto& issue : issues)
    std::fprintf(stderr, "%s: %s\n", issue.path.c_str(), issue.message.c_str());
  if (!issues.empty()) return 2;

  auto service = AlertService::start(config, args["--db"]);
  const int events = std::stoi(args.count("--events") ? args["--events"] : "0");
  const int cameras = std::stoi(args.count("--cameras") ? args["--cameras"] : "1");
  for (int i = 0; i < events; ++i) {
    tilescope::store::EventRecord event;
    event.id = i + 1;
    event.camera_name = "cam" + std::to_string(i % cameras);
    event.label = "person";
    event.score = 0.9;
    event.track_id = i + 1;
    event.start_ms = event.updated_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count();
    service->on_event(EventKind::kOpened, event, args["--snapshot"]);
  }
  if (args.count("--ready")) std::ofstream(args["--ready"]) << "queued";
  if (args.count("--exit-when-idle")) {
    const bool idle = service->wait_idle(std::chrono::seconds(60));
    service->stop();
    return idle ? 0 : 1;
  }
  for (;;)
    std::this_thread::sleep_for(std::chrono::seconds(1));
}
