#include "tilescope/alerts/alert_service.h"

#include "alerts_config_internal.h"
#include "rule_engine.h"
#include "sink.h"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <thread>

namespace tilescope::alerts {

using nlohmann::json;

namespace {

constexpr int kHeadsPerRound = 16;
constexpr auto kIdleWait = std::chrono::milliseconds(1000);
constexpr std::int64_t kPruneEveryMs = 3600 * 1000;

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void name_thread(const std::string& name) { pthread_setname_np(pthread_self(), name.substr(0, 15).c_str()); }

// FNV-1a: a hash that stays the same across runs and builds (the seed is compared with it).
std::string stable_hash(const std::string& text) {
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text)
    hash = (hash ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

json rules_json(const std::vector<Rule>& rules) {
  json out = json::array();
  for (const Rule& rule : rules)
    out.push_back(rule_to_json(rule));
  return out;
}

} // namespace

struct SinkWorker {
  SinkConfig config;
  std::unique_ptr<Sink> sink;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable cv;
  bool wake = false;
};

struct AlertService::Impl {
  AlertsConfig config;
  AlertServiceOptions options;
  std::unique_ptr<Outbox> outbox;
  std::vector<std::unique_ptr<SinkWorker>> workers;
  std::string config_rules_hash;

  mutable std::mutex engine_mutex; // engine, rules_origin, open_counts
  RuleEngine engine;
  std::string rules_origin = "config";
  std::map<std::pair<std::string, std::string>, int> open_counts; // camera, label -> open events

  std::atomic<bool> stopping{false};
  std::thread timer;
  std::mutex timer_mutex;
  std::condition_variable timer_cv;

  std::int64_t now() const { return options.clock ? options.clock() : system_ms(); }
  std::string base_url() const {
    return config.ui_base_url.empty() ? options.fallback_ui_base_url : config.ui_base_url;
  }

  SinkWorker* worker(const std::string& name) const {
    for (const auto& w : workers)
      if (w->config.name == name) return w.get();
    return nullptr;
  }

  void wake(SinkWorker& w) {
    {
      std::lock_guard lock(w.mutex);
      w.wake = true;
    }
    w.cv.notify_one();
  }

  void load_rules();
  void enqueue(const std::vector<Firing>& firings);
  void dispatch(SinkWorker& w);
  void run_timer();
};

void AlertService::Impl::load_rules() {
  config_rules_hash =
      stable_hash(rules_json(config.rules).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  const auto stored = outbox->stored_rules();
  const auto seed = [&] {
    engine.set_rules(config.rules);
    rules_origin = "config";
    outbox->store_rules(rules_json(config.rules), "config:" + config_rules_hash, system_ms());
  };
  if (!stored || stored->origin.rfind("api:", 0) != 0) {
    seed();
    return;
  }
  // Edited through the API: the stored rules win. Each is checked against today's
  // sinks; one that no longer fits (a sink renamed in the YAML) is left out, loudly.
  std::vector<Rule> rules;
  for (std::size_t i = 0; i < stored->rules.size(); ++i) {
    std::vector<config::ConfigIssue> issues;
    detail::FieldReader reader(/*lenient=*/false, issues);
    Rule rule = detail::read_rule(reader, stored->rules[i], "rules[" + std::to_string(i) + "]", config.sinks);
    if (issues.empty()) {
      rules.push_back(std::move(rule));
      continue;
    }
    for (const auto& issue : issues)
      spdlog::error("alerts: stored rule \"{}\" not applied: {}: {}", stored->rules[i].value("name", "?"),
                    issue.path, issue.message);
  }
  engine.set_rules(std::move(rules));
  rules_origin = "api";
  if (stored->origin != "api:" + config_rules_hash)
    spdlog::warn(
        "alerts: the rules in the config file differ from the rules edited in the UI; the UI's rules apply "
        "(PUT /api/v1/alerts/rules to change them)");
}

void AlertService::Impl::enqueue(const std::vector<Firing>& firings) {
  if (firings.empty()) return;
  std::vector<Delivery> deliveries;
  std::vector<CameraCooldown> cooldowns;
  const std::string base = base_url();
  for (const Firing& firing : firings) {
    if (firing.type == AlertType::kNew && firing.rule.cooldown_per_camera_s > 0)
      cooldowns.push_back({firing.rule.name, firing.event.camera_name, firing.fired_ms});
    const bool has_snapshot = !firing.snapshot_file.empty() && std::filesystem::exists(firing.snapshot_file);
    std::string sink_names;
    for (const std::string& sink : firing.rule.sinks) {
      if (worker(sink) == nullptr) continue;
      Delivery d;
      d.id = new_delivery_id();
      d.rule = firing.rule.name;
      d.sink = sink;
      d.camera = firing.event.camera_name;
      d.event_id = firing.event.id;
      d.type = to_string(firing.type);
      d.payload =
          make_payload(firing.type, d.id, firing.rule, firing.event, has_snapshot, base, firing.frame_ms);
      d.attachment = has_snapshot ? firing.snapshot_file : "";
      deliveries.push_back(std::move(d));
      sink_names += (sink_names.empty() ? "" : ", ") + sink;
    }
    spdlog::info("alerts: rule \"{}\" {} event {} ({} on {}) -> {}", firing.rule.name,
                 firing.type == AlertType::kEnd ? "ends" : "fires for", firing.event.id, firing.event.label,
                 firing.event.camera_name, sink_names);
  }
  try {
    outbox->enqueue(deliveries, system_ms(), cooldowns);
  } catch (const std::exception& e) {
    // The camera thread must go on; the loss is logged where an operator looks.
    spdlog::error("alerts: {} alert(s) could not be queued: {}", deliveries.size(), e.what());
    return;
  }
  for (const Delivery& d : deliveries)
    if (SinkWorker* w = worker(d.sink)) wake(*w);
}

void AlertService::Impl::dispatch(SinkWorker& w) {
  name_thread("alerts-" + w.config.name);
  const std::string& name = w.config.name;
  while (!stopping) {
    std::vector<Delivery> heads;
    std::optional<std::int64_t> next_due;
    try {
      heads = outbox->due_heads(name, system_ms(), kHeadsPerRound);
      if (heads.empty()) next_due = outbox->next_due_ms(name);
    } catch (const std::exception& e) {
      spdlog::error("alerts: sink {}: reading the outbox failed: {}", name, e.what());
    }
    if (heads.empty()) {
      auto wait = kIdleWait;
      if (next_due)
        wait = std::clamp(std::chrono::milliseconds(*next_due - system_ms()), std::chrono::milliseconds(1),
                          kIdleWait);
      std::unique_lock lock(w.mutex);
      w.cv.wait_for(lock, wait, [&] { return w.wake || stopping.load(); });
      w.wake = false;
      continue;
    }
    for (const Delivery& d : heads) {
      if (stopping) break;
      const SendResult result = w.sink->send(OutgoingAlert{d.id, d.payload, d.attachment});
      try {
        if (result.ok) {
          outbox->mark_sent(d.id, system_ms());
          continue;
        }
        const DeliveryState state =
            outbox->mark_attempt_failed(d.id, result.error, system_ms(), config.outbox);
        if (state == DeliveryState::kFailed)
          spdlog::error("alerts: delivery {} ({} on {}) to sink {} given up after {} attempt(s): {}", d.id,
                        d.type, d.camera, name, d.attempts + 1, result.error);
        else
          spdlog::warn("alerts: delivery {} to sink {} failed (attempt {}), will retry: {}", d.id, name,
                       d.attempts + 1, result.error);
      } catch (const std::exception& e) {
        spdlog::error("alerts: sink {}: recording delivery {} failed: {}", name, d.id, e.what());
      }
    }
  }
}

void AlertService::Impl::run_timer() {
  name_thread("alerts-timer");
  std::int64_t last_prune_ms = 0;
  while (!stopping) {
    {
      std::unique_lock lock(timer_mutex);
      timer_cv.wait_for(lock, options.tick_interval, [&] { return stopping.load(); });
    }
    if (stopping) break;
    try {
      std::vector<Firing> firings;
      {
        std::lock_guard lock(engine_mutex);
        firings = engine.tick(now());
      }
      enqueue(firings);
    } catch (const std::exception& e) {
      spdlog::error("alerts: timer: {}", e.what());
    }
    const std::int64_t wall = system_ms();
    if (config.outbox.keep_days > 0 && wall - last_prune_ms > kPruneEveryMs) {
      last_prune_ms = wall;
      try {
        const int pruned = outbox->prune(wall - static_cast<std::int64_t>(config.outbox.keep_days * 86400e3));
        if (pruned > 0)
          spdlog::info("alerts: deleted {} deliveries older than {} days", pruned, config.outbox.keep_days);
      } catch (const Error& e) {
        spdlog::warn("alerts: pruning old deliveries failed: {}", e.what());
      }
    }
  }
}

AlertService::AlertService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AlertService::~AlertService() { stop(); }

std::unique_ptr<AlertService> AlertService::start(const AlertsConfig& config, AlertServiceOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->options = std::move(options);
  impl->outbox = Outbox::open(impl->options.database_path);
  impl->load_rules();
  // A restart within a cooldown stays quiet (rule_engine.h: why per camera only).
  impl->engine.restore_cooldowns(impl->outbox->cooldowns());
  std::vector<std::string> names;
  for (const SinkConfig& sink : config.sinks) {
    auto w = std::make_unique<SinkWorker>();
    w->config = sink;
    w->sink = make_sink(sink);
    names.push_back(sink.name);
    impl->workers.push_back(std::move(w));
  }
  if (const int failed = impl->outbox->fail_unknown_sinks(names, system_ms()); failed > 0)
    spdlog::warn("alerts: {} pending deliveries failed: their sink is no longer configured", failed);
  Impl* raw = impl.get();
  for (auto& w : impl->workers)
    w->thread = std::thread([raw, worker = w.get()] { raw->dispatch(*worker); });
  impl->timer = std::thread([raw] { raw->run_timer(); });
  spdlog::info("alerts: {} rule(s), {} sink(s); outbox {}", impl->engine.rules().size(), impl->workers.size(),
               impl->options.database_path);
  return std::unique_ptr<AlertService>(new AlertService(std::move(impl)));
}

std::unique_ptr<AlertService> AlertService::start(const AlertsConfig& config,
                                                  const std::string& database_path) {
  AlertServiceOptions options;
  options.database_path = database_path;
  return start(config, std::move(options));
}

void AlertService::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  impl_->timer_cv.notify_all();
  for (auto& w : impl_->workers)
    impl_->wake(*w);
  if (impl_->timer.joinable()) impl_->timer.join();
  for (auto& w : impl_->workers)
    if (w->thread.joinable()) w->thread.join();
  for (auto& w : impl_->workers)
    w->sink->stop();
}

void AlertService::on_event(EventKind kind, const store::EventRecord& event,
                            const std::string& snapshot_file) {
  std::vector<Firing> firings;
  std::vector<std::pair<std::string, std::string>> count_keys;
  int count = -1;
  {
    std::lock_guard lock(impl_->engine_mutex);
    firings = impl_->engine.on_event(kind, event, snapshot_file, impl_->now());
    if (kind != EventKind::kUpdated) {
      int& open = impl_->open_counts[{event.camera_name, event.label}];
      open = std::max(0, open + (kind == EventKind::kOpened ? 1 : -1));
      count = open;
    }
  }
  if (count >= 0)
    for (auto& w : impl_->workers)
      w->sink->publish_count(event.camera_name, event.label, count);
  impl_->enqueue(firings);
}

void AlertService::observe_frame(const std::string& camera, const std::vector<std::int64_t>& track_ids) {
  std::vector<Firing> firings;
  {
    std::lock_guard lock(impl_->engine_mutex);
    firings = impl_->engine.observe_frame(camera, track_ids, impl_->now());
  }
  impl_->enqueue(firings);
}

std::vector<Rule> AlertService::rules() const {
  std::lock_guard lock(impl_->engine_mutex);
  return impl_->engine.rules();
}

std::string AlertService::rules_origin() const {
  std::lock_guard lock(impl_->engine_mutex);
  return impl_->rules_origin;
}

void AlertService::set_rules(std::vector<Rule> rules) {
  std::lock_guard lock(impl_->engine_mutex);
  impl_->outbox->store_rules(rules_json(rules), "api:" + impl_->config_rules_hash, system_ms());
  impl_->engine.set_rules(std::move(rules));
  impl_->rules_origin = "api";
  spdlog::info("alerts: {} rule(s) set through the API", impl_->engine.rules().size());
}

const std::vector<SinkConfig>& AlertService::sinks() const { return impl_->config.sinks; }

json AlertService::sink_status(const std::string& name) const {
  const SinkWorker* w = impl_->worker(name);
  return w == nullptr ? json::object() : w->sink->status();
}

std::optional<TestAlertResult> AlertService::send_test(const std::string& sink) {
  SinkWorker* w = impl_->worker(sink);
  if (w == nullptr) return std::nullopt;
  Rule rule;
  rule.name = "test";
  rule.severity = Severity::kInfo;
  store::EventRecord event;
  event.camera_name = "test";
  event.label = "test";
  event.score = 1.0;
  event.start_ms = event.updated_ms = system_ms();
  TestAlertResult result;
  result.delivery_id = new_delivery_id();
  const json payload =
      make_payload(AlertType::kTest, result.delivery_id, rule, event, false, impl_->base_url());
  const auto started = std::chrono::steady_clock::now();
  const SendResult sent = w->sink->send(OutgoingAlert{result.delivery_id, payload, ""});
  result.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  result.ok = sent.ok;
  result.error = sent.error;
  spdlog::info("alerts: test alert to sink {}: {}", sink, sent.ok ? "sent" : sent.error);
  return result;
}

const Outbox& AlertService::outbox() const { return *impl_->outbox; }

RetryResult AlertService::retry(const std::string& delivery_id) {
  const RetryResult result = impl_->outbox->retry(delivery_id, system_ms());
  if (result == RetryResult::kQueued)
    if (const auto d = impl_->outbox->get(delivery_id))
      if (SinkWorker* w = impl_->worker(d->sink)) impl_->wake(*w);
  return result;
}

bool AlertService::wait_idle(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (impl_->outbox->counts().pending > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

const AlertsConfig& AlertService::config() const { return impl_->config; }

std::string AlertService::ui_base_url() const { return impl_->base_url(); }

} // namespace tilescope::alerts
