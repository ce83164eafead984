// Alerts benchmark (issue #6), against a real SMTP server (tools/smtp_receiver.py on
// aiosmtpd) on 127.0.0.1, with a JPEG-sized snapshot attached to every mail:
//
//  (a) latency: 4 camera threads each open an event every --interval-ms; for every alert,
//      the time from AlertService::on_event(kOpened) to the SMTP server accepting the
//      message (its DATA received: the receiver's clock, the same wall clock). Median, p95.
//  (b) throughput: the SMTP server down, --queued alerts queued over 4 cameras, then the
//      server comes back: messages per second until the outbox is empty.
//
//   build/bench/alerts_bench [--events-per-camera 25] [--interval-ms 400] [--queued 1000]
//                            [--snapshot-kb 150]
#include "../tests/alerts/test_servers.h"
#include "tilescope/alerts/alert_service.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <spdlog/spdlog.h>
#include <thread>

using namespace tilescope;
using namespace tilescope::alerts;
using namespace tilescope::alerts::testing;
using nlohmann::json;

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

AlertsConfig mail_config(const SmtpServer& server) {
  const json section{{"sinks",
                      {{{"name", "mail"},
                        {"type", "email"},
                        {"smtp_url", server.url()},
                        {"from", "nvr@example.com"},
                        {"to", {"guard@example.com"}}}}},
                     {"rules", {{{"name", "all"}, {"sinks", {"mail"}}}}},
                     {"outbox", {{"backoff_initial_s", 0.1}, {"backoff_max_s", 0.5}}},
                     {"ui_base_url", "http://127.0.0.1:8080"}};
  std::vector<config::ConfigIssue> issues;
  AlertsConfig config = parse_alerts_config(section, issues);
  if (!issues.empty()) throw std::runtime_error(issues.front().path + ": " + issues.front().message);
  return config;
}

store::EventRecord make_event(std::int64_t id, int camera) {
  store::EventRecord e;
  e.id = id;
  e.camera_name = "cam" + std::to_string(camera);
  e.label = "person";
  e.score = 0.9;
  e.track_id = id;
  e.start_ms = e.updated_ms = wall_ms();
  e.box = {100, 100, 160, 260};
  e.frame_width = 1920;
  e.frame_height = 1080;
  return e;
}

std::string header(const std::string& raw, const std::string& name) {
  const std::string key = name + ": ";
  const auto at = raw.find(key);
  return at == std::string::npos ? "" : raw.substr(at + key.size(), raw.find("\r\n", at) - at - key.size());
}

// delivery id -> event id, from the outbox.
std::map<std::string, std::int64_t> delivery_events(const Outbox& outbox, int count) {
  std::map<std::string, std::int64_t> out;
  for (int offset = 0; offset < count; offset += 500) {
    DeliveryFilter filter;
    filter.limit = 500;
    filter.offset = offset;
    for (const Delivery& d : outbox.list(filter).deliveries)
      out[d.id] = d.event_id;
  }
  return out;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = p * (values.size() - 1);
  const auto low = static_cast<std::size_t>(rank);
  const auto high = std::min(low + 1, values.size() - 1);
  return values[low] + (values[high] - values[low]) * (rank - low);
}

double load_average() {
  double load = 0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = 0;
    std::fclose(f);
  }
  return load;
}

json latency_run(int per_camera, int interval_ms, const std::string& snapshot) {
  SmtpServer server;
  TempDir dir;
  auto service = AlertService::start(mail_config(server), dir.file("tilescope.db"));
  std::mutex mutex;
  std::map<std::int64_t, std::int64_t> opened_ms; // event id -> on_event time
  std::vector<std::thread> cameras;
  for (int camera = 0; camera < 4; ++camera) {
    cameras.emplace_back([&, camera] {
      // Cameras out of step with each other, as real ones are.
      std::this_thread::sleep_for(std::chrono::milliseconds(camera * interval_ms / 4));
      for (int i = 0; i < per_camera; ++i) {
        const std::int64_t id = 1 + camera + 4 * i;
        const store::EventRecord event = make_event(id, camera);
        {
          std::lock_guard lock(mutex);
          opened_ms[id] = wall_ms();
        }
        service->on_event(EventKind::kOpened, event, snapshot);
        std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
      }
    });
  }
  for (auto& t : cameras)
    t.join();
  const int total = 4 * per_camera;
  if (!service->wait_idle(std::chrono::seconds(120)) ||
      !server.wait_for_messages(total, std::chrono::seconds(30)))
    throw std::runtime_error("latency run: not every alert was delivered");
  const auto events = delivery_events(service->outbox(), total);
  std::vector<double> latencies;
  for (const auto& message : server.messages()) {
    const auto it = events.find(header(message.raw, "X-Tilescope-Delivery-Id"));
    if (it == events.end()) continue;
    latencies.push_back(
        static_cast<double>(message.meta["received_ms"].get<std::int64_t>() - opened_ms[it->second]));
  }
  return {{"alerts", latencies.size()},
          {"cameras", 4},
          {"interval_ms", interval_ms},
          {"latency_ms_median", percentile(latencies, 0.5)},
          {"latency_ms_p95", percentile(latencies, 0.95)},
          {"latency_ms_max", percentile(latencies, 1.0)}};
}

json throughput_run(int queued, const std::string& snapshot) {
  SmtpServer server;
  server.stop();
  TempDir dir;
  auto service = AlertService::start(mail_config(server), dir.file("tilescope.db"));
  for (int i = 0; i < queued; ++i)
    service->on_event(EventKind::kOpened, make_event(i + 1, i % 4), snapshot);
  if (service->outbox().counts().pending != queued)
    throw std::runtime_error("throughput run: not all queued");
  // Let every camera's head fail and back off (the server is down), as in an outage.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::int64_t up_ms = wall_ms();
  server.start();
  if (!service->wait_idle(std::chrono::seconds(600)) ||
      !server.wait_for_messages(queued, std::chrono::seconds(30)))
    throw std::runtime_error("throughput run: the outbox did not drain");
  const auto messages = server.messages();
  const std::int64_t first_ms = messages.front().meta["received_ms"];
  const std::int64_t last_ms = messages.back().meta["received_ms"];
  return {
      {"queued", queued},
      {"delivered", messages.size()},
      {"seconds_from_server_up", (last_ms - up_ms) / 1000.0},
      {"messages_per_s", messages.size() / std::max(0.001, (last_ms - up_ms) / 1000.0)},
      {"messages_per_s_after_first", (messages.size() - 1) / std::max(0.001, (last_ms - first_ms) / 1000.0)}};
}

} // namespace

int main(int argc, char** argv) {
  int per_camera = 25, interval_ms = 400, queued = 1000, snapshot_kb = 150;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (key == "--events-per-camera")
      per_camera = value;
    else if (key == "--interval-ms")
      interval_ms = value;
    else if (key == "--queued")
      queued = value;
    else if (key == "--snapshot-kb")
      snapshot_kb = value;
    else {
      std::fprintf(stderr, "unknown option %s\n", key.c_str());
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::err); // the outage's retry warnings are expected
  TempDir files;
  const std::string snapshot = files.file("snapshot.jpg");
  write_file(snapshot, fake_jpeg(static_cast<std::size_t>(snapshot_kb) * 1024, 1));
  try {
    const double load_before = load_average();
    json result{{"snapshot_kb", snapshot_kb}, {"load_average_1m_before", load_before}};
    result["latency"] = latency_run(per_camera, interval_ms, snapshot);
    result["throughput"] = throughput_run(queued, snapshot);
    result["load_average_1m_after"] = load_average();
    std::printf("%s\n", result.dump(2).c_str());
    const json& l = result["latency"];
    const json& t = result["throughput"];
    std::printf(
        "latency on_event -> SMTP accepted (%d alerts, 4 cameras, one event per camera every %d ms, %d KB "
        "snapshot): median %.0f ms, p95 %.0f ms, max %.0f ms\n",
        l["alerts"].get<int>(), interval_ms, snapshot_kb, l["latency_ms_median"].get<double>(),
        l["latency_ms_p95"].get<double>(), l["latency_ms_max"].get<double>());
    std::printf(
        "outbox drain after an outage: %d alerts in %.1f s from the server coming back = %.1f messages/s\n",
        t["delivered"].get<int>(), t["seconds_from_server_up"].get<double>(),
        t["messages_per_s"].get<double>());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "alerts_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
