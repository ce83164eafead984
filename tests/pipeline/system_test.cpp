// pipeline::System end to end with real parts: the default model (NanoDet-m, skipped
// when scripts/setup has not fetched it), a SQLite store in a temporary folder, file
// cameras on vtest.avi and photos from Debian's opencv-doc. Every wait is bounded; no
// assertion depends on how fast the machine is.
#include "tilescope/pipeline/default_model.h"
#include "tilescope/pipeline/system.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace tilescope::pipeline {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kPhoto = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

// Polls `done` every 50 ms for up to `limit`.
template <typename Fn> bool wait_until(Fn done, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

class SystemTest : public ::testing::Test {
protected:
  void SetUp() override {
    try {
      default_model_path();
      video_ = sample_video_path();
    } catch (const Error& e) {
      GTEST_SKIP() << e.what();
    }
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("tilescope_system_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  config::CameraConfig camera(const std::string& name, bool enabled) const {
    config::CameraConfig c;
    c.name = name;
    c.url = video_;
    c.enabled = enabled;
    c.fps_limit = 5;
    c.events.min_score = 0.3;
    return c;
  }
  config::Config base_config() const {
    config::Config c;
    c.storage.path = (dir_ / "data").string();
    c.tiling.mode = "off"; // one pass per frame: the tests are about the system, not tiling
    return c;
  }
  static std::vector<std::string> names(const System& system) {
    std::vector<std::string> out;
    for (const CameraInfo& c : system.cameras())
      out.push_back(c.config.name);
    return out;
  }

  std::string video_;
  fs::path dir_;
};

TEST_F(SystemTest, ConfigCamerasSeededOnceAndApiChangesPersist) {
  config::Config config = base_config();
  config.cameras = {camera("lobby", false), camera("yard", false), camera("gate", false)};
  std::int64_t added_id = 0;
  {
    auto system = System::start(config);
    EXPECT_EQ(names(*system), (std::vector<std::string>{"lobby", "yard", "gate"}));
    const std::vector<CameraInfo> cameras = system->cameras();
    EXPECT_FALSE(cameras[0].running);
    // Add, update, remove through the API.
    added_id = system->add_camera(camera("garage", false)).id;
    config::CameraConfig lobby = cameras[0].config;
    lobby.fps_limit = 2;
    ASSERT_TRUE(system->update_camera(cameras[0].id, lobby).has_value());
    config::CameraConfig gate = cameras[2].config;
    gate.name = "front-gate"; // a renamed config camera
    ASSERT_TRUE(system->update_camera(cameras[2].id, gate).has_value());
    EXPECT_TRUE(system->remove_camera(cameras[1].id));
    EXPECT_FALSE(system->remove_camera(cameras[1].id));
    EXPECT_FALSE(system->update_camera(9999, lobby).has_value());
    system->stop();
    system->stop(); // idempotent
  }
  // Restart on the same storage with the same config: the store wins; "yard" (deleted)
  // and "gate" (renamed) are not seeded again.
  auto system = System::start(config);
  EXPECT_EQ(names(*system), (std::vector<std::string>{"lobby", "front-gate", "garage"}));
  const auto lobby = system->camera(system->cameras()[0].id);
  ASSERT_TRUE(lobby.has_value());
  EXPECT_EQ(lobby->config.fps_limit, 2);
  ASSERT_TRUE(system->camera(added_id).has_value());
  EXPECT_EQ(system->camera(added_id)->config.name, "garage");
  const auto deleted = system->store().setting("deleted_config_cameras");
  ASSERT_TRUE(deleted.has_value());
  EXPECT_NE(deleted->find("\"yard\""), std::string::npos) << *deleted;
  EXPECT_NE(deleted->find("\"gate\""), std::string::npos) << *deleted;
}

TEST_F(SystemTest, InvalidCamerasAreRejectedWithFieldPaths) {
  config::Config config = base_config();
  config.cameras = {camera("lobby", false)};
  auto system = System::start(config);

  config::CameraConfig bad = camera("new-cam", false);
  bad.url = "";
  bad.classes = {"person", "unicorn"};
  try {
    system->add_camera(bad);
    FAIL() << "an invalid camera was accepted";
  } catch (const config::ConfigError& e) {
    bool url = false, unicorn = false;
    for (const config::ConfigIssue& i : e.issues()) {
      url = url || i.path == "url";
      unicorn =
          unicorn || (i.path.rfind("classes", 0) == 0 && i.message.find("unicorn") != std::string::npos);
    }
    EXPECT_TRUE(url) << e.what();
    EXPECT_TRUE(unicorn) << e.what();
  }
  EXPECT_THROW(system->add_camera(camera("lobby", false)), store::ConflictError);
  const std::int64_t other = system->add_camera(camera("other", false)).id;
  EXPECT_THROW(system->update_camera(other, camera("lobby", false)), store::ConflictError);
  EXPECT_EQ(names(*system), (std::vector<std::string>{"lobby", "other"}));
  system->stop();

  // A config camera with a class the model lacks: nothing starts, the path names it.
  config.cameras[0].events.classes = {"dragon"};
  try {
    System::start(config);
    FAIL() << "a config with an unknown class started";
  } catch (const config::ConfigError& e) {
    ASSERT_FALSE(e.issues().empty());
    EXPECT_EQ(e.issues()[0].path.rfind("cameras[0].events.classes", 0), 0u) << e.what();
  }
}

TEST_F(SystemTest, DetectFindsThePlayerOnAPhoto) {
  const cv::Mat photo = cv::imread(kPhoto);
  if (photo.empty()) GTEST_SKIP() << kPhoto << " missing (Debian opencv-doc)";
  auto system = System::start(base_config());
  for (const char* mode : {"off", "adaptive"}) {
    DetectRequest request;
    request.image = photo;
    tiling::parse_slice_mode(mode, request.slice);
    const DetectResponse r = system->detect(request);
    ASSERT_EQ(r.labels.size(), r.detections.size());
    bool person = false;
    for (std::size_t i = 0; i < r.detections.size(); ++i)
      person = person || (r.labels[i] == "person" && r.detections[i].score > 0.5f);
    EXPECT_TRUE(person) << mode;
    EXPECT_EQ(r.plan.tiles.empty(), std::string(mode) == "off") << mode;
  }
  DetectRequest only_balls;
  only_balls.image = photo;
  only_balls.classes = {"sports ball"};
  for (const std::string& label : system->detect(only_balls).labels)
    EXPECT_EQ(label, "sports ball");
  DetectRequest unknown;
  unknown.image = photo;
  unknown.classes = {"unicorn"};
  EXPECT_THROW(system->detect(unknown), Error);
  EXPECT_THROW(system->detect(DetectRequest{}), Error);
}

JobStatus wait_job(System& system, const std::string& id, std::chrono::seconds limit) {
  wait_until(
      [&] {
        const auto j = system.job(id);
        return !j || j->state == JobState::kDone || j->state == JobState::kFailed ||
               j->state == JobState::kCancelled;
      },
      limit);
  return system.job(id).value_or(JobStatus{});
}

TEST_F(SystemTest, VideoJobWritesResultsAndSurvivesRestart) {
  std::string id;
  {
    auto system = System::start(base_config());
    JobRequest request;
    request.input_path = video_;
    request.max_frames = 6;
    id = system->submit_job(request);
    EXPECT_EQ(id.size(), 16u);
    const JobStatus s = wait_job(*system, id, 300s);
    ASSERT_EQ(s.state, JobState::kDone) << s.error;
    EXPECT_EQ(s.frames_done, 6);
    EXPECT_EQ(s.frames_total, 6);
    EXPECT_DOUBLE_EQ(s.progress, 1.0);
    EXPECT_EQ(s.input_name, "vtest.avi");
    EXPECT_GT(s.finished_ms, 0);
    std::ifstream jsonl(s.result_json_path);
    std::string line;
    int lines = 0, with_people = 0;
    while (std::getline(jsonl, line)) {
      ++lines;
      with_people += line.find("\"label\":\"person\"") != std::string::npos;
    }
    EXPECT_EQ(lines, 6);
    EXPECT_GT(with_people, 0);
    ASSERT_FALSE(s.video_path.empty());
    EXPECT_GT(fs::file_size(s.video_path), 1000u);
    EXPECT_EQ(system->jobs().size(), 1u);
  }
  // Finished jobs are still listed after a restart.
  auto system = System::start(base_config());
  const auto again = system->job(id);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->state, JobState::kDone);
  // Removing deletes the files.
  const fs::path folder = fs::path(again->result_json_path).parent_path();
  EXPECT_TRUE(fs::exists(folder));
  EXPECT_TRUE(system->remove_job(id));
  EXPECT_FALSE(system->job(id).has_value());
  EXPECT_FALSE(fs::exists(folder));
  EXPECT_FALSE(system->remove_job(id));
}

TEST_F(SystemTest, JobsCanBeCancelledAndBadInputIsRefused) {
  auto system = System::start(base_config());
  JobRequest request;
  request.input_path = video_; // 795 frames: far longer than this test waits
  const std::string running = system->submit_job(request);
  const std::string queued = system->submit_job(request);
  ASSERT_TRUE(wait_until([&] { return system->job(running)->frames_done >= 1; }, 300s));
  EXPECT_EQ(system->job(queued)->state, JobState::kQueued);
  EXPECT_TRUE(system->cancel_job(queued));
  EXPECT_TRUE(system->cancel_job(running));
  EXPECT_EQ(wait_job(*system, running, 120s).state, JobState::kCancelled);
  EXPECT_EQ(system->job(queued)->state, JobState::kCancelled);
  EXPECT_FALSE(system->cancel_job(running)); // already ended
  EXPECT_FALSE(system->cancel_job("0123456789abcdef"));
  EXPECT_LT(system->job(running)->frames_done, 795);

  // A photo is a one-frame job.
  if (fs::exists(kPhoto)) {
    JobRequest photo;
    photo.input_path = kPhoto;
    const JobStatus s = wait_job(*system, system->submit_job(photo), 120s);
    EXPECT_EQ(s.state, JobState::kDone) << s.error;
    EXPECT_EQ(s.frames_done, 1);
  }

  const fs::path text = dir_ / "notes.txt";
  std::ofstream(text) << "not a video\n";
  JobRequest bad;
  bad.input_path = text.string();
  EXPECT_THROW(system->submit_job(bad), Error);
  bad.input_path = (dir_ / "missing.mp4").string();
  EXPECT_THROW(system->submit_job(bad), Error);
  JobRequest unknown_class = request;
  unknown_class.classes = {"unicorn"};
  EXPECT_THROW(system->submit_job(unknown_class), Error);
}

TEST_F(SystemTest, RetentionRemovesJobsOlderThanADay) {
  std::string old_id, new_id;
  fs::path old_folder;
  {
    auto system = System::start(base_config());
    JobRequest request;
    request.input_path = video_;
    request.max_frames = 1;
    old_id = system->submit_job(request);
    new_id = system->submit_job(request);
    ASSERT_EQ(wait_job(*system, old_id, 120s).state, JobState::kDone);
    ASSERT_EQ(wait_job(*system, new_id, 120s).state, JobState::kDone);
    old_folder = fs::path(system->job(old_id)->result_json_path).parent_path();
  }
  // Make one of them two days old, as its job.json says.
  const fs::path status = old_folder / "job.json";
  std::stringstream text;
  text << std::ifstream(status).rdbuf();
  const std::string created = "\"created_ms\": ";
  std::string json = text.str();
  const auto at = json.find(created);
  ASSERT_NE(at, std::string::npos) << json;
  const auto end = json.find_first_of(",\n}", at + created.size());
  const std::int64_t two_days_ago = store::now_ms() - 2LL * 24 * 3600 * 1000;
  json.replace(at + created.size(), end - at - created.size(), std::to_string(two_days_ago));
  std::ofstream(status) << json;

  // Retention runs when the system starts.
  auto system = System::start(base_config());
  // The retention thread drops the job from the list, then deletes its folder: wait for both.
  EXPECT_TRUE(wait_until([&] { return !system->job(old_id).has_value() && !fs::exists(old_folder); }, 60s));
  EXPECT_FALSE(fs::exists(old_folder));
  EXPECT_TRUE(system->job(new_id).has_value());
}

// Collects what a listener gets.
class Collector : public Listener {
public:
  void on_frame(const FrameResult& frame) override {
    std::lock_guard lock(mutex_);
    frames.push_back(frame);
  }
  void on_event(const EventNotice& event) override {
    std::lock_guard lock(mutex_);
    events.push_back(event);
  }
  std::size_t frame_count() {
    std::lock_guard lock(mutex_);
    return frames.size();
  }
  bool has_opened_event() {
    std::lock_guard lock(mutex_);
    for (const EventNotice& e : events)
      if (e.kind == EventNotice::Kind::kOpened) return true;
    return false;
  }
  std::mutex mutex_;
  std::vector<FrameResult> frames;
  std::vector<EventNotice> events;
};

// One live camera serves several checks (each start costs a model load and CPU).
TEST_F(SystemTest, LiveCameraFeedsListenersFramesMetricsAndEvents) {
  config::Config config = base_config();
  config.cameras = {camera("demo", true)};
  auto system = System::start(config);
  auto collector = std::make_shared<Collector>();
  const int handle = system->add_listener(collector);
  const std::int64_t id = system->cameras()[0].id;
  EXPECT_TRUE(system->cameras()[0].running);

  ASSERT_TRUE(
      wait_until([&] { return collector->frame_count() >= 3 && collector->has_opened_event(); }, 300s))
      << collector->frame_count() << " frames, events opened: " << collector->has_opened_event();
  {
    std::lock_guard lock(collector->mutex_);
    const FrameResult& f = collector->frames.back();
    EXPECT_EQ(f.camera_id, id);
    EXPECT_EQ(f.camera_name, "demo");
    EXPECT_EQ(f.width, 768);
    EXPECT_EQ(f.height, 576);
    EXPECT_GT(f.seq, 0);
  }

  std::int64_t seq = 0;
  const auto jpeg = system->wait_jpeg(id, 0, true, 60s, seq);
  ASSERT_NE(jpeg, nullptr);
  ASSERT_GT(jpeg->size(), 2u);
  EXPECT_EQ((*jpeg)[0], 0xFF);
  EXPECT_EQ((*jpeg)[1], 0xD8);
  EXPECT_GT(seq, 0);
  EXPECT_FALSE(system->latest_frame(id).empty());
  EXPECT_EQ(system->wait_jpeg(424242, 0, true, 10ms, seq), nullptr);

  // Prometheus text: every sample line is `name{labels} value`, families have HELP and TYPE.
  const std::string metrics = system->metrics_text();
  const std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? )"
                          R"((-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$)");
  std::istringstream lines(metrics);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
    ++samples;
  }
  EXPECT_GT(samples, 20);
  for (const char* expected :
       {"# TYPE tilescope_inference_latency_ms histogram",
        "tilescope_inference_latency_ms_bucket{camera=\"demo\",le=\"+Inf\"} ",
        "tilescope_inference_latency_ms_sum{camera=\"demo\"} ",
        "tilescope_inference_latency_ms_count{camera=\"demo\"} ",
        "tilescope_camera_input_fps{camera=\"demo\"} ",
        "tilescope_camera_frames_dropped_total{camera=\"demo\"} ",
        "tilescope_camera_reconnects_total{camera=\"demo\"} ",
        "tilescope_camera_tiles_per_frame{camera=\"demo\"} ",
        "tilescope_events_opened_total{camera=\"demo\"} ", "tilescope_process_resident_memory_bytes ",
        "tilescope_process_peak_memory_bytes ", "tilescope_jobs_queued 0", "tilescope_listeners 1"}) {
    EXPECT_NE(metrics.find(expected), std::string::npos) << expected << "\n" << metrics;
  }
  EXPECT_EQ(metrics.find("tilescope_inference_latency_ms_count{camera=\"demo\"} 0\n"), std::string::npos);

  // An update restarts the worker; frame numbers keep growing for viewers.
  config::CameraConfig slower = system->camera(id)->config;
  slower.fps_limit = 4;
  ASSERT_TRUE(system->update_camera(id, slower).has_value());
  std::int64_t after = 0;
  ASSERT_NE(system->wait_jpeg(id, seq, false, 120s, after), nullptr);
  EXPECT_GT(after, seq);

  // A removed listener hears nothing more (at most one frame already on its way).
  system->remove_listener(handle);
  const std::size_t at_removal = collector->frame_count();
  std::this_thread::sleep_for(1s);
  EXPECT_LE(collector->frame_count(), at_removal + 1);

  // Stop closes every event.
  system->stop();
  store::EventFilter open;
  open.open = true;
  EXPECT_EQ(system->store().events(open).total, 0);
  store::EventFilter all;
  EXPECT_GT(system->store().events(all).total, 0);
}

} // namespace
} // namespace tilescope::pipeline
