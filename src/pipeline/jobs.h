// Offline jobs (POST /api/v1/jobs): a video or image file through the shared detector,
// one job at a time on the "jobs" thread, results written beside each other:
//
//   <dir>/<id>/job.json       the job's status (reloaded on restart)
//   <dir>/<id>/result.jsonl   one JSON object per frame: frame, timestamp_s, width,
//                             height, detections [{box, score, class_id, label}], tiles
//   <dir>/<id>/video.mp4      the frames with their boxes drawn
//
// Jobs share the camera detector through DetectorAccess (one inference at a time), so
// a job's frames interleave with live cameras instead of starving them. The queue is
// bounded (kMaxQueued); cancellation is checked before every frame.
#pragma once

#include "tilescope/detect/detector.h"
#include "tilescope/pipeline/system.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tilescope::pipeline {

// Runs `use` with exclusive use of the shared detector; the reference stays valid for
// the life of the system (a TiledDetector built over it may be kept between calls).
using DetectorAccess = std::function<void(const std::function<void(detect::Detector&)>& use)>;

// Class names to model class ids. Throws Error naming `field` and the unknown name.
std::vector<int> resolve_class_ids(const std::vector<std::string>& classes,
                                   const std::vector<std::string>& model_classes, const std::string& field);

class JobQueue {
public:
  static constexpr int kMaxQueued = 16;

  // Creates `dir` and loads the jobs an earlier run left there; jobs it left queued or
  // running are marked failed. Starts the worker thread.
  JobQueue(std::string dir, DetectorAccess detector, std::vector<std::string> class_names,
           cv::Size model_input);
  ~JobQueue(); // stop()
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Cancels the running job, marks queued ones cancelled, joins the thread. Idempotent.
  void stop();

  // Checks the input (readable image or video) and the options; throws Error naming
  // what is wrong (the queue being full included). Returns the job id.
  std::string submit(const JobRequest& request);
  std::optional<JobStatus> job(const std::string& id) const;
  std::vector<JobStatus> jobs() const; // newest first
  bool cancel(const std::string& id);
  bool remove(const std::string& id);
  // Removes finished jobs created before `cutoff_ms`. Returns how many.
  int remove_finished_before(std::int64_t cutoff_ms);
  int queued() const; // waiting jobs (not the running one)

private:
  struct Entry;

  void run_worker();
  void run_job(Entry& entry);
  void finish(Entry& entry, JobState state, const std::string& error);
  void load_existing();
  std::string job_dir(const std::string& id) const;
  void write_status(const JobStatus& status) const;

  const std::string dir_;
  const DetectorAccess detector_;
  const std::vector<std::string> class_names_;
  const cv::Size model_input_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  std::deque<std::shared_ptr<Entry>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace tilescope::pipeline
