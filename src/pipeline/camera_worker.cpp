// A camera's thread, source, viewers and counters (camera_worker.h).
#include "camera_worker.h"

#include "annotate_frame.h"
#include "tilescope/core/error.h"
#include "tilescope/core/redact.h"

#include <algorithm>
#include <cmath>
#include <pthread.h>
#include <spdlog/spdlog.h>

namespace tilescope::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kWaitSlice = std::chrono::milliseconds(250); // how often the loop checks for stop
constexpr auto kRecentWindow = std::chrono::seconds(10);    // processed fps
constexpr auto kLogEvery = std::chrono::seconds(10);        // repeated frame failures

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  // Nearest rank: the smallest value with at least q of the values at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

video::SourceOptions source_options(const config::CameraConfig& camera) {
  video::SourceOptions o;
  o.rtsp_transport = camera.rtsp_transport;
  o.loop = camera.loop;
  return o;
}

// What LiveSource is opened with: an update that changes none of it keeps the connection.
bool same_stream(const config::CameraConfig& a, const config::CameraConfig& b) {
  return a.url == b.url && a.rtsp_transport == b.rtsp_transport && a.loop == b.loop;
}

} // namespace

FpsLimiter::FpsLimiter(double fps) {
  if (fps > 0)
    period_ = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / fps));
}

bool FpsLimiter::accept(Clock::time_point arrived) {
  if (period_ == Clock::duration::zero()) return true;
  if (started_ && arrived < next_due_ - period_ / 4) return false;
  // Behind by more than a period (a slow frame, a reconnect): a fresh schedule.
  next_due_ = (!started_ || arrived > next_due_ + period_) ? arrived + period_ : next_due_ + period_;
  started_ = true;
  return true;
}

std::unique_ptr<CameraPipeline> CameraWorker::make_pipeline(const config::CameraConfig& camera) {
  auto on_event = [this](const EventNotice& notice) {
    if (notice.kind == EventNotice::Kind::kOpened) {
      std::lock_guard lock(mutex_);
      counts_.events_opened++;
    }
    if (context_.on_event) context_.on_event(notice);
  };
  return std::make_unique<CameraPipeline>(id_, camera, context_.detector, context_.store,
                                          context_.tiling_defaults, std::move(on_event));
}

CameraWorker::CameraWorker(std::int64_t id, config::CameraConfig camera, WorkerContext context)
    : id_(id), camera_(std::move(camera)), context_(std::move(context)) {
  pipeline_ = make_pipeline(camera_);
  source_ = std::make_unique<video::LiveSource>(camera_.url, source_options(camera_));
  thread_ = std::thread([this] { run(); });
  spdlog::info("camera {}: started ({}, fps limit {}, tiling {}{})", camera_.name, redact_url(camera_.url),
               camera_.fps_limit, pipeline_->tiling().mode,
               pipeline_->tiling().motion_gating
                   ? ", gated, sweep every " + std::to_string(pipeline_->tiling().sweep_every)
                   : "");
}

CameraWorker::~CameraWorker() { stop(); }

void CameraWorker::stop() {
  std::lock_guard stop_lock(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  stopping_ = true;
  source_->stop(); // wakes wait_frame
  if (thread_.joinable()) thread_.join();
  pipeline_->stop(); // closes open events (on this thread: the camera thread has ended)
  {
    std::lock_guard lock(mutex_);
    next_pipeline_.reset(); // an update the thread never took: it opened nothing
  }
  frame_ready_.notify_all();
  updated_.notify_all();
  spdlog::info("camera {}: stopped", camera_.name);
}

bool CameraWorker::update(const config::CameraConfig& camera) {
  if (stopping_ || !same_stream(config(), camera)) return false;
  std::unique_ptr<CameraPipeline> next = make_pipeline(camera); // throws for refused settings
  std::unique_lock lock(mutex_);
  if (stopping_) return false;
  next_pipeline_ = std::move(next); // replaces an update not taken yet
  next_camera_ = camera;
  const std::uint64_t ticket = ++updates_asked_;
  updated_.wait(lock, [&] { return updates_applied_ >= ticket || stopping_; });
  return updates_applied_ >= ticket;
}

void CameraWorker::apply_update(FpsLimiter& limiter) {
  std::unique_ptr<CameraPipeline> previous;
  std::uint64_t ticket = 0;
  {
    std::lock_guard lock(mutex_);
    if (!next_pipeline_) return;
    previous = std::move(pipeline_);
    pipeline_ = std::move(next_pipeline_);
    if (next_camera_.fps_limit != camera_.fps_limit) limiter = FpsLimiter(next_camera_.fps_limit);
    camera_ = next_camera_;
    ticket = updates_asked_;
  }
  // Tracks and open events go on in the new pipeline; whatever cannot closes now.
  pipeline_->continue_from(*previous);
  previous.reset();
  {
    std::lock_guard lock(mutex_);
    updates_applied_ = ticket;
  }
  updated_.notify_all();
  const std::string thread_name = ("cam-" + camera_.name).substr(0, 15); // Linux: 15 characters
  pthread_setname_np(pthread_self(), thread_name.c_str());
  spdlog::info("camera {}: settings updated (same stream: tracks and events go on)", camera_.name);
}

void CameraWorker::run() {
  const std::string thread_name = ("cam-" + camera_.name).substr(0, 15); // Linux: 15 characters
  pthread_setname_np(pthread_self(), thread_name.c_str());
  FpsLimiter limiter(camera_.fps_limit);
  std::int64_t last_seq = 0;
  const auto want = [&limiter](const video::LiveFrame& f) { return limiter.accept(f.arrived); };
  video::LiveFrame frame;
  while (!stopping_) {
    // Frames the fps limit refuses come back unconverted (empty bgr): no colour conversion
    // for a frame nobody looks at.
    apply_update(limiter);
    if (!source_->wait_frame(last_seq, frame, kWaitSlice, want)) continue;
    apply_update(limiter); // it may have come while waiting: the frame gets the new settings
    last_seq = frame.seq;
    if (frame.bgr.empty()) {
      std::lock_guard lock(mutex_);
      counts_.frames_skipped_fps_limit++;
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      latest_decoded_ = frame.bgr;
    }
    try {
      const ProcessedFrame processed = pipeline_->process(frame.bgr, frame.seq, frame.arrived, frame.wall_ms);
      publish(processed, frame.bgr);
    } catch (const std::exception& e) {
      log_failure(frame.seq, e.what());
    }
  }
}

void CameraWorker::publish(const ProcessedFrame& processed, const cv::Mat& frame) {
  const FrameResult& r = processed.result;
  latency_.observe(r.latency_ms);
  if (processed.views > 0) inference_.observe(processed.inference_ms); // an empty plan ran nothing
  {
    std::lock_guard lock(mutex_);
    latest_processed_ = frame;
    latest_result_ = r;
    counts_.frames_processed++;
    counts_.views_total += processed.views;
    counts_.full_plan_views_total += processed.full_plan_views;
    counts_.sweeps += r.sweep ? 1 : 0;
    recent_.push_back({Clock::now(), r.latency_ms, processed.inference_ms, processed.wait_ms, processed.views,
                       processed.full_plan_views});
    while (recent_.size() > static_cast<std::size_t>(WorkerStats::kRecentFrames))
      recent_.pop_front();
  }
  frame_ready_.notify_all();
  if (!context_.on_frame) return;
  try {
    context_.on_frame(r);
  } catch (const std::exception& e) {
    log_failure(r.seq, std::string("frame listener: ") + e.what());
  }
}

void CameraWorker::log_failure(std::int64_t seq, const std::string& what) {
  // Messages from FFmpeg or the store may quote the URL: never its password.
  std::string message = what;
  const std::string redacted = redact_url(camera_.url);
  if (redacted != camera_.url) {
    for (auto at = message.find(camera_.url); at != std::string::npos; at = message.find(camera_.url, at))
      message.replace(at, camera_.url.size(), redacted);
  }
  const Clock::time_point now = Clock::now();
  std::unique_lock lock(mutex_);
  counts_.frames_failed++;
  counts_.last_error = message;
  if (last_logged_ != Clock::time_point{} && now - last_logged_ < kLogEvery) {
    unlogged_failures_++;
    return;
  }
  const int unlogged = unlogged_failures_;
  unlogged_failures_ = 0;
  last_logged_ = now;
  lock.unlock();
  spdlog::error("camera {} ({}): frame {}: {}{}", camera_.name, redacted, seq, message,
                unlogged > 0 ? " (" + std::to_string(unlogged) + " more failures since the last report)"
                             : "");
}

WorkerStats CameraWorker::stats() const {
  const video::SourceStatus source = source_status();
  std::lock_guard lock(mutex_);
  WorkerStats s = counts_;
  s.frames_skipped = counts_.frames_skipped_fps_limit + source.frames_dropped;
  if (recent_.empty()) return s;
  std::vector<double> latencies;
  double views = 0, full_views = 0, inference = 0, wait = 0;
  for (const Sample& x : recent_) {
    latencies.push_back(x.latency_ms);
    views += x.views;
    full_views += x.full_plan_views;
    inference += x.inference_ms;
    wait += x.wait_ms;
  }
  const auto n = static_cast<double>(recent_.size());
  s.tiles_per_frame = views / n;
  s.full_plan_views = full_views / n;
  s.inference_ms = inference / n;
  s.wait_ms = wait / n;
  s.latency_p50_ms = percentile(latencies, 0.50);
  s.latency_p95_ms = percentile(latencies, 0.95);
  // fps over the frames done in the last 10 s (none recent: the camera stalled, 0).
  const Clock::time_point now = Clock::now();
  const auto first = std::find_if(recent_.begin(), recent_.end(),
                                  [&](const Sample& x) { return now - x.done <= kRecentWindow; });
  const auto count = std::distance(first, recent_.end());
  if (count >= 2) {
    const double span_s = std::chrono::duration<double>(recent_.back().done - first->done).count();
    if (span_s > 0) s.processed_fps = static_cast<double>(count - 1) / span_s;
  }
  return s;
}

config::CameraConfig CameraWorker::config() const {
  std::lock_guard lock(mutex_);
  return camera_;
}

video::SourceStatus CameraWorker::source_status() const {
  video::SourceStatus status = source_->status();
  if (stopping_) status.state = video::SourceState::kStopped;
  return status;
}

cv::Mat CameraWorker::latest_frame() const {
  std::lock_guard lock(mutex_);
  return latest_decoded_;
}

FrameResult CameraWorker::latest_result() const {
  std::lock_guard lock(mutex_);
  return latest_result_;
}

std::shared_ptr<const std::vector<unsigned char>> CameraWorker::wait_jpeg(std::int64_t after_seq,
                                                                          bool annotated,
                                                                          std::chrono::milliseconds timeout,
                                                                          std::int64_t& seq) {
  cv::Mat frame;
  FrameResult result;
  {
    std::unique_lock lock(mutex_);
    const bool ready = frame_ready_.wait_for(lock, timeout, [&] {
      return stopping_ || (!latest_processed_.empty() && latest_result_.seq > after_seq);
    });
    if (!ready || stopping_) return nullptr;
    const Jpeg& cached = annotated ? annotated_jpeg_ : raw_jpeg_;
    if (cached.seq == latest_result_.seq) {
      seq = cached.seq;
      return cached.bytes;
    }
    frame = latest_processed_;
    result = latest_result_;
  }
  // Encoded outside the state lock (the camera thread goes on); one encoder at a time,
  // so viewers arriving together share one encode.
  std::lock_guard encode_lock(encode_mutex_);
  {
    std::lock_guard lock(mutex_);
    const Jpeg& cached = annotated ? annotated_jpeg_ : raw_jpeg_;
    if (cached.seq >= result.seq) {
      seq = cached.seq;
      return cached.bytes;
    }
  }
  std::shared_ptr<const std::vector<unsigned char>> bytes;
  if (annotated) {
    cv::Mat picture = frame.clone();
    if (context_.draw_tiles) draw_tiles(picture, result.tiles);
    draw_objects(picture, result.objects);
    bytes = std::make_shared<const std::vector<unsigned char>>(encode_jpeg(picture));
  } else {
    bytes = std::make_shared<const std::vector<unsigned char>>(encode_jpeg(frame));
  }
  std::lock_guard lock(mutex_);
  Jpeg& slot = annotated ? annotated_jpeg_ : raw_jpeg_;
  if (slot.seq < result.seq) slot = {result.seq, bytes};
  seq = result.seq;
  return bytes;
}

} // namespace tilescope::pipeline
