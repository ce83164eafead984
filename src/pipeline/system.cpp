// The running system (system.h): boot, cameras, listeners, one-off detection, jobs.
// Metrics are in system_metrics.cpp.
#include "tilescope/pipeline/system.h"

#include "camera_worker.h"
#include "jobs.h"
#include "shared_detector.h"
#include "system_impl.h"
#include "tilescope/core/error.h"
#include "tilescope/pipeline/default_model.h"
#include "tilescope/tiling/tiled_detector.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <pthread.h>
#include <spdlog/spdlog.h>

namespace tilescope::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDeletedConfigCameras = "deleted_config_cameras";
constexpr auto kRetentionEvery = std::chrono::minutes(10);
constexpr std::int64_t kJobMaxAgeMs = 24LL * 3600 * 1000;
constexpr double kProbeTimeoutS = 10;

std::vector<std::string> deleted_config_cameras(const store::Store& store) {
  const std::optional<std::string> text = store.setting(kDeletedConfigCameras);
  if (!text) return {};
  try {
    return nlohmann::json::parse(*text).get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception&) {
    spdlog::warn("setting {} is not a JSON list of names: ignored", kDeletedConfigCameras);
    return {};
  }
}

// Issues of one camera against the model's classes, paths relative to the camera.
void throw_if_invalid(const config::CameraConfig& camera, const std::vector<std::string>& classes) {
  std::vector<config::ConfigIssue> issues;
  config::validate_camera(camera, "", classes, issues);
  if (!issues.empty()) throw config::ConfigError("camera", std::move(issues));
}

} // namespace

const char* to_string(EventNotice::Kind kind) {
  switch (kind) {
  case EventNotice::Kind::kOpened: return "opened";
  case EventNotice::Kind::kUpdated: return "updated";
  case EventNotice::Kind::kClosed: return "closed";
  }
  return "?";
}

const char* to_string(JobState state) {
  switch (state) {
  case JobState::kQueued: return "queued";
  case JobState::kRunning: return "running";
  case JobState::kDone: return "done";
  case JobState::kFailed: return "failed";
  case JobState::kCancelled: return "cancelled";
  }
  return "?";
}

// --- boot ---------------------------------------------------------------------------

std::unique_ptr<System> System::start(const config::Config& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->started = std::chrono::steady_clock::now();

  // The model first: a bad model path is the likeliest failure and nothing has started.
  const std::optional<engine::Precision> precision = engine::parse_precision(config.model.precision);
  if (!precision) {
    throw config::ConfigError(
        config.source_path,
        {{"model.precision", "'" + config.model.precision + "': expected fp32, bf16 or int8"}});
  }
  const std::string model_path = config.model.path.empty() ? default_model_path() : config.model.path;
  detect::DetectorOptions options;
  options.session.threads = config.model.threads;
  options.session.precision = *precision;
  options.labels_path = config.model.labels;
  detect::Detector detector = detect::Detector::open(model_path, options);
  impl->class_names = detector.class_names();
  impl->model_input = detector.input_size();
  impl->model_path = model_path;

  // Config cameras against the model's classes (load_config could not know them).
  std::vector<config::ConfigIssue> issues;
  for (std::size_t i = 0; i < config.cameras.size(); ++i)
    config::validate_camera(config.cameras[i], "cameras[" + std::to_string(i) + "]", impl->class_names,
                            issues);
  if (!issues.empty()) throw config::ConfigError(config.source_path, std::move(issues));

  impl->store = store::Store::open(config.storage.path);
  impl->detector = std::make_unique<SharedDetector>(std::move(detector));
  impl->seed_config_cameras();
  impl->jobs = std::make_unique<JobQueue>(
      (fs::path(impl->store->dir()) / "jobs").string(),
      [detector = impl->detector.get()](const std::function<void(detect::Detector&)>& use) {
        detector->run(use);
      },
      impl->class_names, impl->model_input);

  std::unique_ptr<System> system(new System(std::move(impl)));
  Impl& s = *system->impl_;
  for (const store::CameraRecord& record : s.store->cameras())
    s.load_camera(record);
  s.retention_thread = std::thread([&s] { s.run_retention(); });
  spdlog::info("system started: model {} ({} classes, input {}x{}), {} camera(s), storage {}", model_path,
               s.class_names.size(), s.model_input.width, s.model_input.height, s.cameras.size(),
               s.store->dir());
  return system;
}

System::Impl::~Impl() = default;
System::System(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
System::~System() { stop(); }

void System::stop() {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.retention_mutex);
    if (s.stopping) return;
    s.stopping = true;
  }
  s.retention_wake.notify_all();
  if (s.retention_thread.joinable()) s.retention_thread.join();
  s.jobs->stop();
  std::vector<std::shared_ptr<CameraWorker>> workers;
  {
    std::lock_guard changes(s.changes_mutex); // no add/update starts a worker after this
    s.stopped = true;
    std::lock_guard lock(s.cameras_mutex);
    for (auto& [id, slot] : s.cameras)
      if (slot.worker) workers.push_back(std::move(slot.worker));
  }
  for (const auto& w : workers)
    w->stop();
  workers.clear();
  // Workers close their own events; whatever is still open (a worker that failed) too.
  const int closed = s.store->close_open_events();
  if (closed > 0) spdlog::info("closed {} open event(s)", closed);
  spdlog::info("system stopped");
}

void System::Impl::throw_if_stopped() const {
  if (stopped) throw Error("tilescope is stopping: cameras cannot change now");
}

void System::Impl::seed_config_cameras() {
  const std::vector<std::string> deleted = deleted_config_cameras(*store);
  for (const config::CameraConfig& camera : config.cameras) {
    if (std::find(deleted.begin(), deleted.end(), camera.name) != deleted.end()) continue;
    if (store->camera_by_name(camera.name)) continue;
    store->add_camera(camera.name, config::camera_to_json(camera, false).dump());
    spdlog::info("camera {}: added from the config", camera.name);
  }
}

void System::Impl::remember_deleted_config_camera(const std::string& name) {
  const bool from_config = std::any_of(config.cameras.begin(), config.cameras.end(),
                                       [&](const config::CameraConfig& c) { return c.name == name; });
  if (!from_config) return;
  std::vector<std::string> deleted = deleted_config_cameras(*store);
  if (std::find(deleted.begin(), deleted.end(), name) != deleted.end()) return;
  deleted.push_back(name);
  store->set_setting(kDeletedConfigCameras, nlohmann::json(deleted).dump());
}

void System::Impl::load_camera(const store::CameraRecord& record) {
  CameraSlot slot;
  slot.counters = counters_for(record.id);
  std::vector<config::ConfigIssue> issues;
  try {
    slot.config = config::camera_from_json(nlohmann::json::parse(record.config_json), issues);
  } catch (const nlohmann::json::exception& e) {
    issues.push_back({"", std::string("stored settings are not JSON: ") + e.what()});
  }
  slot.config.name = record.name;
  if (issues.empty()) config::validate_camera(slot.config, "", class_names, issues);
  if (!issues.empty()) {
    // Kept in the list (the user can fix it through the API), not started.
    slot.problem =
        "invalid settings: " + (issues[0].path.empty() ? "" : issues[0].path + ": ") + issues[0].message;
    spdlog::warn("camera {}: {}", record.name, slot.problem);
  }
  std::lock_guard lock(cameras_mutex);
  auto& placed = cameras[record.id] = std::move(slot);
  if (placed.problem.empty() && placed.config.enabled) placed.worker = start_worker(record.id, placed);
}

std::shared_ptr<CounterSet> System::Impl::counters_for(std::int64_t id) {
  std::lock_guard lock(counters_mutex);
  auto& c = counters[id];
  if (!c) c = std::make_shared<CounterSet>();
  return c;
}

std::shared_ptr<CameraWorker> System::Impl::start_worker(std::int64_t id, CameraSlot& slot) {
  // Numbers of a new worker's frames continue after the old worker's, so a viewer
  // waiting for "a frame after N" is not stuck behind a restarted camera.
  const std::int64_t base = slot.counters->last_seq.load();
  const std::shared_ptr<CounterSet> counters = slot.counters;
  WorkerContext context{
      *detector, *store, config.tiling,
      [this, counters, base](const FrameResult& frame) { on_frame(*counters, base, frame); },
      [this, counters](const EventNotice& event) { on_event(*counters, event); }};
  slot.seq_base = base;
  try {
    return std::make_shared<CameraWorker>(id, slot.config, std::move(context));
  } catch (const std::exception& e) {
    // Settings the pipeline refuses beyond what validate_camera checks: the camera stays
    // listed with the reason in its status instead of taking the system down.
    slot.problem = e.what();
    spdlog::error("camera {}: cannot start: {}", slot.config.name, slot.problem);
    return nullptr;
  }
}

// --- listeners ----------------------------------------------------------------------

void System::Impl::on_frame(CounterSet& counters, std::int64_t seq_base, const FrameResult& frame) {
  counters.latency.observe(frame.latency_ms);
  const auto targets = listener_list();
  if (seq_base == 0) {
    counters.last_seq = frame.seq;
    for (const auto& l : targets)
      l->on_frame(frame);
    return;
  }
  FrameResult renumbered = frame;
  renumbered.seq += seq_base;
  counters.last_seq = renumbered.seq;
  for (const auto& l : targets)
    l->on_frame(renumbered);
}

void System::Impl::on_event(CounterSet& counters, const EventNotice& event) {
  if (event.kind == EventNotice::Kind::kOpened) counters.events_opened++;
  for (const auto& l : listener_list())
    l->on_event(event);
}

std::vector<std::shared_ptr<Listener>> System::Impl::listener_list() const {
  // Copied under the lock, called outside it: a listener may add or remove listeners.
  std::lock_guard lock(listeners_mutex);
  std::vector<std::shared_ptr<Listener>> out;
  out.reserve(listeners.size());
  for (const auto& [handle, l] : listeners)
    out.push_back(l);
  return out;
}

int System::add_listener(std::shared_ptr<Listener> listener) {
  if (!listener) throw Error("add_listener: null listener");
  std::lock_guard lock(impl_->listeners_mutex);
  const int handle = impl_->next_listener++;
  impl_->listeners[handle] = std::move(listener);
  return handle;
}

void System::remove_listener(int handle) {
  std::lock_guard lock(impl_->listeners_mutex);
  impl_->listeners.erase(handle);
}

// --- accessors ----------------------------------------------------------------------

const config::Config& System::config() const { return impl_->config; }
store::Store& System::store() { return *impl_->store; }
const std::vector<std::string>& System::class_names() const { return impl_->class_names; }
cv::Size System::model_input() const { return impl_->model_input; }

// --- cameras ------------------------------------------------------------------------

CameraInfo System::Impl::info(std::int64_t id, const CameraSlot& slot) const {
  CameraInfo info;
  info.id = id;
  info.config = slot.config;
  info.running = slot.worker != nullptr;
  info.events_opened = slot.counters->events_opened.load();
  if (slot.worker) {
    const WorkerStats stats = slot.worker->stats();
    info.source = slot.worker->source_status();
    info.processed_fps = stats.processed_fps;
    info.tiles_per_frame = stats.tiles_per_frame;
    info.latency_p50_ms = stats.latency_p50_ms;
    info.latency_p95_ms = stats.latency_p95_ms;
    info.frames_processed = stats.frames_processed;
    info.frames_skipped = stats.frames_skipped;
  } else {
    info.source.state = video::SourceState::kStopped;
    info.source.last_error = slot.problem;
  }
  return info;
}

std::vector<CameraInfo> System::cameras() const {
  std::lock_guard lock(impl_->cameras_mutex);
  std::vector<CameraInfo> out;
  out.reserve(impl_->cameras.size());
  for (const auto& [id, slot] : impl_->cameras)
    out.push_back(impl_->info(id, slot));
  return out;
}

std::optional<CameraInfo> System::camera(std::int64_t id) const {
  std::lock_guard lock(impl_->cameras_mutex);
  const auto it = impl_->cameras.find(id);
  if (it == impl_->cameras.end()) return std::nullopt;
  return impl_->info(id, it->second);
}

CameraInfo System::add_camera(const config::CameraConfig& camera) {
  Impl& s = *impl_;
  throw_if_invalid(camera, s.class_names);
  std::lock_guard changes(s.changes_mutex);
  s.throw_if_stopped();
  const store::CameraRecord record =
      s.store->add_camera(camera.name, config::camera_to_json(camera, false).dump());
  spdlog::info("camera {}: added (id {})", camera.name, record.id);
  s.load_camera(record);
  return *System::camera(record.id);
}

std::optional<CameraInfo> System::update_camera(std::int64_t id, const config::CameraConfig& camera) {
  Impl& s = *impl_;
  throw_if_invalid(camera, s.class_names);
  std::lock_guard changes(s.changes_mutex);
  s.throw_if_stopped();
  std::string old_name;
  {
    std::lock_guard lock(s.cameras_mutex);
    const auto it = s.cameras.find(id);
    if (it == s.cameras.end()) return std::nullopt;
    old_name = it->second.config.name;
  }
  // Throws ConflictError when the name belongs to another camera; false: deleted meanwhile.
  if (!s.store->update_camera(id, camera.name, config::camera_to_json(camera, false).dump()))
    return std::nullopt;
  // A renamed config camera must not come back under its old name on the next start.
  if (old_name != camera.name) s.remember_deleted_config_camera(old_name);
  std::shared_ptr<CameraWorker> running;
  {
    std::lock_guard lock(s.cameras_mutex);
    const auto it = s.cameras.find(id);
    if (it == s.cameras.end()) return std::nullopt;
    running = it->second.worker;
  }
  // The same stream: the running worker takes the new settings between two frames, its
  // tracks and open events going on (a restart would close and reopen every event).
  bool updated_in_place = false;
  if (running && camera.enabled) {
    try {
      updated_in_place = running->update(camera);
    } catch (const std::exception& e) {
      spdlog::warn("camera {}: new settings refused by the running worker ({}): restarting it", camera.name,
                   e.what());
    }
  }
  if (updated_in_place) {
    std::lock_guard lock(s.cameras_mutex);
    const auto it = s.cameras.find(id);
    if (it == s.cameras.end()) return std::nullopt;
    it->second.config = camera;
    it->second.problem.clear();
    spdlog::info("camera {}: updated", camera.name);
    return s.info(id, it->second);
  }
  running.reset();
  std::shared_ptr<CameraWorker> old_worker;
  {
    std::lock_guard lock(s.cameras_mutex);
    const auto it = s.cameras.find(id);
    if (it == s.cameras.end()) return std::nullopt;
    old_worker = std::move(it->second.worker);
  }
  // Stopped outside the lock: a worker may be mid-inference, the API must not wait on it.
  if (old_worker) old_worker->stop();
  old_worker.reset();
  std::lock_guard lock(s.cameras_mutex);
  const auto it = s.cameras.find(id);
  if (it == s.cameras.end()) return std::nullopt;
  CameraSlot& slot = it->second;
  slot.config = camera;
  slot.problem.clear();
  if (camera.enabled) slot.worker = s.start_worker(id, slot);
  spdlog::info("camera {}: updated{}", camera.name, camera.enabled ? "" : " (disabled)");
  return s.info(id, slot);
}

bool System::remove_camera(std::int64_t id) {
  Impl& s = *impl_;
  std::lock_guard changes(s.changes_mutex);
  std::shared_ptr<CameraWorker> worker;
  std::string name;
  {
    std::lock_guard lock(s.cameras_mutex);
    const auto it = s.cameras.find(id);
    if (it == s.cameras.end()) return false;
    worker = std::move(it->second.worker);
    name = it->second.config.name;
    s.cameras.erase(it);
  }
  if (worker) worker->stop();
  s.store->delete_camera(id);
  s.remember_deleted_config_camera(name);
  spdlog::info("camera {}: removed", name);
  return true;
}

video::ProbeResult System::test_camera(const config::CameraConfig& camera) const {
  video::SourceOptions options;
  options.rtsp_transport = camera.rtsp_transport;
  options.loop = camera.loop;
  options.open_timeout_s = kProbeTimeoutS;
  return video::probe_source(camera.url, options, kProbeTimeoutS);
}

std::shared_ptr<CameraWorker> System::Impl::worker(std::int64_t id, std::int64_t* seq_base) const {
  std::lock_guard lock(cameras_mutex);
  const auto it = cameras.find(id);
  if (it == cameras.end()) return nullptr;
  if (seq_base) *seq_base = it->second.seq_base;
  return it->second.worker;
}

std::shared_ptr<const std::vector<unsigned char>> System::wait_jpeg(std::int64_t camera_id,
                                                                    std::int64_t after_seq, bool annotated,
                                                                    std::chrono::milliseconds timeout,
                                                                    std::int64_t& seq) {
  std::int64_t base = 0;
  const std::shared_ptr<CameraWorker> worker = impl_->worker(camera_id, &base);
  if (!worker) return nullptr;
  std::int64_t worker_seq = 0;
  auto jpeg = worker->wait_jpeg(std::max<std::int64_t>(0, after_seq - base), annotated, timeout, worker_seq);
  if (jpeg) seq = worker_seq + base;
  return jpeg;
}

cv::Mat System::latest_frame(std::int64_t camera_id) const {
  const std::shared_ptr<CameraWorker> worker = impl_->worker(camera_id, nullptr);
  return worker ? worker->latest_frame() : cv::Mat();
}

// --- one-off detection ----------------------------------------------------------------

DetectResponse System::detect(const DetectRequest& request) {
  if (request.image.empty()) throw Error("image: empty (not an image?)");
  if (request.image.depth() != CV_8U) throw Error("image: 8-bit images only");
  detect::DetectOptions options;
  options.nms.conf_threshold = request.confidence;
  options.nms.iou_threshold = request.iou;
  options.nms.classes = resolve_class_ids(request.classes, impl_->class_names, "classes");
  detect::check_nms_options(options.nms);
  tiling::check_merge_options(request.merge);
  const auto start = std::chrono::steady_clock::now();
  tiling::TiledResult result;
  impl_->detector->run([&](detect::Detector& detector) {
    tiling::TiledDetector tiled(detector, request.slice, request.merge);
    result = tiled.detect(request.image, options);
  });
  DetectResponse response;
  response.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  response.detections = std::move(result.detections);
  response.plan = std::move(result.plan);
  for (const detect::Detection& d : response.detections) {
    const bool named = d.class_id >= 0 && static_cast<std::size_t>(d.class_id) < impl_->class_names.size();
    response.labels.push_back(named ? impl_->class_names[static_cast<std::size_t>(d.class_id)]
                                    : "class" + std::to_string(d.class_id));
  }
  return response;
}

// --- jobs -------------------------------------------------------------------------------

std::string System::submit_job(const JobRequest& request) { return impl_->jobs->submit(request); }
std::optional<JobStatus> System::job(const std::string& id) const { return impl_->jobs->job(id); }
std::vector<JobStatus> System::jobs() const { return impl_->jobs->jobs(); }
bool System::cancel_job(const std::string& id) { return impl_->jobs->cancel(id); }
bool System::remove_job(const std::string& id) { return impl_->jobs->remove(id); }

// --- retention ----------------------------------------------------------------------------

void System::Impl::apply_retention() {
  try {
    const auto max_bytes = static_cast<std::int64_t>(config.storage.max_gb * 1e9);
    const store::RetentionResult r =
        store->apply_retention(config.storage.retention_days, max_bytes, store::now_ms());
    if (r.events_deleted > 0) {
      spdlog::info("retention: {} event(s) deleted, {} MB freed", r.events_deleted, r.bytes_freed / 1000000);
    }
    const int jobs_removed = jobs->remove_finished_before(store::now_ms() - kJobMaxAgeMs);
    if (jobs_removed > 0) spdlog::info("retention: {} job(s) older than a day removed", jobs_removed);
  } catch (const std::exception& e) {
    spdlog::error("retention failed: {}", e.what()); // tried again at the next round
  }
}

void System::Impl::run_retention() {
  pthread_setname_np(pthread_self(), "retention");
  std::unique_lock lock(retention_mutex);
  while (!stopping) {
    lock.unlock();
    apply_retention();
    lock.lock();
    retention_wake.wait_for(lock, kRetentionEvery, [this] { return stopping; });
  }
}

} // namespace tilescope::pipeline
