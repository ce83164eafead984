// Offline jobs: the queue, the worker thread and one job's frame loop (jobs.h).
#include "jobs.h"

#include "tilescope/core/error.h"
#include "tilescope/detect/annotate.h"
#include "tilescope/tiling/tiled_detector.h"
#include "tilescope/video/video_reader.h"
#include "tilescope/video/video_writer.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <pthread.h>
#include <random>
#include <sstream>

namespace tilescope::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStatusFile = "job.json";
constexpr const char* kResultFile = "result.jsonl";
constexpr const char* kVideoFile = "video.mp4";
// Containers without a frame rate (and single images) are written at this rate.
constexpr double kFallbackFps = 10.0;

std::string random_id() {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard lock(mutex);
  const std::uint64_t v = rng();
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

bool finished(JobState s) {
  return s == JobState::kDone || s == JobState::kFailed || s == JobState::kCancelled;
}

std::optional<JobState> parse_state(const std::string& text) {
  for (JobState s :
       {JobState::kQueued, JobState::kRunning, JobState::kDone, JobState::kFailed, JobState::kCancelled}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

nlohmann::json status_to_json(const JobStatus& s) {
  return {{"id", s.id},
          {"state", to_string(s.state)},
          {"input_name", s.input_name},
          {"frames_done", s.frames_done},
          {"frames_total", s.frames_total},
          {"progress", s.progress},
          {"error", s.error},
          {"result_json_path", s.result_json_path},
          {"video_path", s.video_path},
          {"created_ms", s.created_ms},
          {"finished_ms", s.finished_ms}};
}

JobStatus status_from_json(const nlohmann::json& j) {
  JobStatus s;
  s.id = j.at("id").get<std::string>();
  const auto state = parse_state(j.at("state").get<std::string>());
  if (!state) throw Error("unknown job state");
  s.state = *state;
  s.input_name = j.value("input_name", "");
  s.frames_done = j.value("frames_done", std::int64_t{0});
  s.frames_total = j.value("frames_total", std::int64_t{-1});
  s.progress = j.value("progress", 0.0);
  s.error = j.value("error", "");
  s.result_json_path = j.value("result_json_path", "");
  s.video_path = j.value("video_path", "");
  s.created_ms = j.value("created_ms", std::int64_t{0});
  s.finished_ms = j.value("finished_ms", std::int64_t{0});
  return s;
}

nlohmann::json frame_to_json(std::int64_t index, double timestamp_s, const cv::Mat& frame,
                             const tiling::TiledResult& result, const std::vector<std::string>& names) {
  nlohmann::json boxes = nlohmann::json::array();
  for (const detect::Detection& d : result.detections) {
    const bool named = d.class_id >= 0 && static_cast<std::size_t>(d.class_id) < names.size();
    boxes.push_back({{"box", {round3(d.box.x1), round3(d.box.y1), round3(d.box.x2), round3(d.box.y2)}},
                     {"score", round3(d.score)},
                     {"class_id", d.class_id},
                     {"label", named ? names[static_cast<std::size_t>(d.class_id)]
                                     : "class" + std::to_string(d.class_id)}});
  }
  return {{"frame", index},
          {"timestamp_s", round3(timestamp_s)},
          {"width", frame.cols},
          {"height", frame.rows},
          {"detections", std::move(boxes)},
          {"tiles", result.plan.tiles.size()},
          {"full_frame", result.plan.full_frame}};
}

// Frames of a job's input: a video, or one image as frame 0.
class FrameSource {
public:
  FrameSource(const std::string& path, bool is_image) {
    if (is_image) {
      image_ = cv::imread(path, cv::IMREAD_COLOR);
      if (image_.empty()) throw Error(fs::path(path).filename().string() + ": not a readable image");
    } else {
      reader_.emplace(video::VideoReader::open(path));
    }
  }
  double fps() const { return reader_ && reader_->info().fps > 0 ? reader_->info().fps : kFallbackFps; }
  std::int64_t frame_count() const { return reader_ ? reader_->info().frame_count : 1; }
  bool read(video::Frame& frame) {
    if (reader_) return reader_->read(frame);
    if (image_.empty()) return false;
    frame.bgr = std::move(image_);
    frame.index = 0;
    frame.timestamp_s = 0;
    image_.release();
    return true;
  }

private:
  std::optional<video::VideoReader> reader_;
  cv::Mat image_;
};

} // namespace

std::vector<int> resolve_class_ids(const std::vector<std::string>& classes,
                                   const std::vector<std::string>& model_classes, const std::string& field) {
  std::vector<int> ids;
  for (const std::string& name : classes) {
    const auto it = std::find(model_classes.begin(), model_classes.end(), name);
    if (it == model_classes.end()) {
      throw Error(field + ": the model has no class '" + name + "' (GET /api/v1/classes lists them)");
    }
    ids.push_back(static_cast<int>(it - model_classes.begin()));
  }
  return ids;
}

struct JobQueue::Entry {
  JobStatus status; // guarded by JobQueue::mutex_
  JobRequest request;
  std::vector<int> class_ids;
  bool is_image = false;
  bool removed = false; // guarded: remove() asked; files go when the job ends
  std::atomic<bool> cancel{false};
};

JobQueue::JobQueue(std::string dir, DetectorAccess detector, std::vector<std::string> class_names,
                   cv::Size model_input)
    : dir_(std::move(dir)), detector_(std::move(detector)), class_names_(std::move(class_names)),
      model_input_(model_input) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw Error(dir_ + ": cannot create the jobs folder (" + ec.message() + ")");
  load_existing();
  thread_ = std::thread([this] { run_worker(); });
}

JobQueue::~JobQueue() { stop(); }

void JobQueue::stop() {
  std::deque<std::shared_ptr<Entry>> waiting;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    waiting.swap(queue_);
    for (auto& [id, entry] : entries_) {
      if (entry->status.state == JobState::kRunning) entry->cancel = true;
    }
  }
  wake_.notify_all();
  for (const auto& entry : waiting)
    finish(*entry, JobState::kCancelled, "tilescope stopped before the job ran");
  if (thread_.joinable()) thread_.join();
}

std::string JobQueue::job_dir(const std::string& id) const { return (fs::path(dir_) / id).string(); }

void JobQueue::write_status(const JobStatus& status) const {
  // Temporary file + rename: a crash never leaves a half-written job.json.
  const fs::path path = fs::path(job_dir(status.id)) / kStatusFile;
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << status_to_json(status).dump(2) << "\n";
    if (!out) return; // the folder is gone (removed): nothing to keep
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
}

void JobQueue::load_existing() {
  std::error_code ec;
  for (const fs::directory_entry& d : fs::directory_iterator(dir_, ec)) {
    const fs::path status_path = d.path() / kStatusFile;
    if (!d.is_directory() || !fs::exists(status_path)) continue;
    try {
      std::ifstream in(status_path);
      JobStatus status = status_from_json(nlohmann::json::parse(in));
      if (status.id != d.path().filename().string()) continue;
      if (!finished(status.state)) {
        status.state = JobState::kFailed;
        status.error = "interrupted: tilescope stopped before the job finished";
        status.finished_ms = store::now_ms();
        write_status(status);
      }
      auto entry = std::make_shared<Entry>();
      entry->status = std::move(status);
      entries_[entry->status.id] = std::move(entry);
    } catch (const std::exception&) {
      // A job.json we cannot read is left alone (retention removes it with its folder).
    }
  }
}

std::string JobQueue::submit(const JobRequest& request) {
  const std::string& path = request.input_path;
  if (path.empty()) throw Error("input: no file given");
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error("input: " + path + ": no such file");
  if (request.max_frames < 0) throw Error("max_frames: must be >= 0");
  if (request.confidence < 0 || request.confidence > 1) throw Error("conf: must be in [0, 1]");
  auto entry = std::make_shared<Entry>();
  entry->request = request;
  entry->class_ids = resolve_class_ids(request.classes, class_names_, "classes");
  tiling::check_merge_options(request.merge);
  // The planner throws Error naming the option for an invalid one: find out now, not mid-job.
  (void)tiling::plan_slices({1280, 720}, request.slice, tiling::PlannerContext::for_input(model_input_));
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw Error("tilescope is stopping: no new jobs");
    if (static_cast<int>(queue_.size()) >= kMaxQueued) {
      throw Error("the job queue is full (" + std::to_string(kMaxQueued) + " jobs waiting): try again later");
    }
  }

  // An unreadable input fails here, with the reader's reason, not later in the queue.
  entry->is_image = cv::haveImageReader(path);
  std::int64_t frames_total = 1;
  if (!entry->is_image) {
    frames_total = video::VideoReader::open(path).info().frame_count;
  } else if (cv::imread(path, cv::IMREAD_REDUCED_COLOR_8).empty()) {
    throw Error("input: " + fs::path(path).filename().string() + ": not a readable image");
  }
  if (request.max_frames > 0) {
    frames_total = frames_total < 0 ? request.max_frames : std::min(frames_total, request.max_frames);
  }

  JobStatus& s = entry->status;
  s.id = random_id();
  s.state = JobState::kQueued;
  s.input_name = fs::path(path).filename().string();
  s.frames_total = frames_total;
  s.created_ms = store::now_ms();
  fs::create_directories(job_dir(s.id), ec);
  if (ec) throw Error(job_dir(s.id) + ": cannot create the job folder (" + ec.message() + ")");
  write_status(s);
  {
    std::lock_guard lock(mutex_);
    entries_[s.id] = entry;
    queue_.push_back(entry);
  }
  wake_.notify_all();
  return s.id;
}

std::optional<JobStatus> JobQueue::job(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second->status;
}

std::vector<JobStatus> JobQueue::jobs() const {
  std::vector<JobStatus> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, entry] : entries_)
      out.push_back(entry->status);
  }
  std::sort(out.begin(), out.end(), [](const JobStatus& a, const JobStatus& b) {
    return a.created_ms != b.created_ms ? a.created_ms > b.created_ms : a.id > b.id;
  });
  return out;
}

int JobQueue::queued() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(queue_.size());
}

bool JobQueue::cancel(const std::string& id) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(id);
    if (it == entries_.end() || finished(it->second->status.state)) return false;
    entry = it->second;
    if (entry->status.state == JobState::kRunning) {
      entry->cancel = true; // the frame loop sees it before its next frame
      return true;
    }
    std::erase(queue_, entry);
  }
  finish(*entry, JobState::kCancelled, "");
  return true;
}

bool JobQueue::remove(const std::string& id) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(id);
    if (it == entries_.end()) return false;
    entry = it->second;
    entry->removed = true;
    if (entry->status.state == JobState::kRunning) {
      entry->cancel = true; // finish() removes it once the frame loop stops
      return true;
    }
    if (finished(entry->status.state)) {
      entries_.erase(it);
      entry.reset();
    } else {
      std::erase(queue_, entry);
    }
  }
  if (entry) {
    finish(*entry, JobState::kCancelled, ""); // removed: finish() deletes folder and entry
  } else {
    std::error_code ec;
    fs::remove_all(job_dir(id), ec);
  }
  return true;
}

int JobQueue::remove_finished_before(std::int64_t cutoff_ms) {
  std::vector<std::string> old;
  {
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (finished(it->second->status.state) && it->second->status.created_ms < cutoff_ms) {
        old.push_back(it->first);
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const std::string& id : old) {
    std::error_code ec;
    fs::remove_all(job_dir(id), ec);
  }
  return static_cast<int>(old.size());
}

void JobQueue::finish(Entry& entry, JobState state, const std::string& error) {
  JobStatus status;
  bool removed = false;
  {
    std::lock_guard lock(mutex_);
    JobStatus& s = entry.status;
    s.state = state;
    s.error = error;
    s.finished_ms = store::now_ms();
    if (state == JobState::kDone) {
      s.progress = 1;
      s.frames_total = s.frames_done;
      s.result_json_path = (fs::path(job_dir(s.id)) / kResultFile).string();
      s.video_path = (fs::path(job_dir(s.id)) / kVideoFile).string();
      if (!fs::exists(s.video_path)) s.video_path.clear();
    }
    status = s;
    removed = entry.removed;
    if (removed) entries_.erase(s.id);
  }
  std::error_code ec;
  if (entry.request.delete_input) fs::remove(entry.request.input_path, ec);
  if (removed) {
    fs::remove_all(job_dir(status.id), ec);
  } else {
    write_status(status);
  }
}

void JobQueue::run_worker() {
  pthread_setname_np(pthread_self(), "jobs");
  for (;;) {
    std::shared_ptr<Entry> entry;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return; // stop() settles what is left in the queue
      entry = queue_.front();
      queue_.pop_front();
      entry->status.state = JobState::kRunning;
    }
    write_status(job(entry->status.id).value_or(JobStatus{}));
    run_job(*entry);
  }
}

void JobQueue::run_job(Entry& entry) {
  const JobRequest& request = entry.request;
  const fs::path dir = job_dir(entry.status.id);
  try {
    FrameSource source(request.input_path, entry.is_image);
    std::ofstream jsonl(dir / kResultFile);
    if (!jsonl) throw Error((dir / kResultFile).string() + ": cannot open for writing");
    detect::DetectOptions options;
    options.nms.conf_threshold = request.confidence;
    options.nms.classes = entry.class_ids;
    std::optional<tiling::TiledDetector> tiled;
    std::optional<video::VideoWriter> writer;
    video::Frame frame;
    std::int64_t done = 0;
    for (;;) {
      if (entry.cancel) {
        bool stopping = false;
        {
          std::lock_guard lock(mutex_);
          stopping = stopping_;
        }
        finish(entry, JobState::kCancelled, stopping ? "tilescope stopped before the job finished" : "");
        return;
      }
      if (request.max_frames > 0 && done >= request.max_frames) break;
      if (!source.read(frame)) break;
      tiling::TiledResult result;
      detector_([&](detect::Detector& detector) {
        if (!tiled) tiled.emplace(detector, request.slice, request.merge);
        result = tiled->detect(frame.bgr, options);
      });
      jsonl << frame_to_json(frame.index, frame.timestamp_s, frame.bgr, result, class_names_).dump() << '\n';
      // yuv420p needs even sizes: an odd frame loses its last row/column in the video.
      const cv::Rect even(0, 0, frame.bgr.cols & ~1, frame.bgr.rows & ~1);
      if (!writer && !even.empty()) {
        writer.emplace(
            video::VideoWriter::open((dir / kVideoFile).string(), even.width, even.height, source.fps()));
      }
      if (writer) {
        detect::annotate(frame.bgr, result.detections, class_names_);
        writer->write(frame.bgr(even).clone());
      }
      ++done;
      std::lock_guard lock(mutex_);
      JobStatus& s = entry.status;
      s.frames_done = done;
      if (s.frames_total >= 0 && done > s.frames_total) s.frames_total = done; // containers may undercount
      s.progress = s.frames_total > 0 ? static_cast<double>(done) / static_cast<double>(s.frames_total) : 0;
    }
    if (done == 0) throw Error(entry.status.input_name + ": no frame could be decoded");
    if (writer) writer->close();
    jsonl.close();
    if (!jsonl) throw Error((dir / kResultFile).string() + ": write failed (disk full?)");
    finish(entry, JobState::kDone, "");
  } catch (const std::exception& e) {
    finish(entry, JobState::kFailed, e.what());
  }
}

} // namespace tilescope::pipeline
