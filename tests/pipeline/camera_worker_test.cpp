// CameraWorker end to end on a real file source (vtest.avi through LiveSource, paced at
// its 10 fps) with the default model and a real Store; FpsLimiter and SharedDetector on
// their own.
#include "annotate_frame.h"
#include "camera_worker.h"
#include "pipeline_fixture.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <thread>

namespace tilescope::pipeline {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::have_media;
using testing::kVideo;
using testing::shared_detector;
using testing::TempStore;

TEST(FpsLimiter, HalvesATenFpsStreamAtFive) {
  FpsLimiter limiter(5);
  const Clock::time_point t0{};
  int accepted = 0;
  for (int i = 0; i < 20; ++i) {
    // 100 ms apart with +-10 ms of decode jitter.
    const auto jitter = std::chrono::milliseconds((i % 3 - 1) * 10);
    if (limiter.accept(t0 + i * 100ms + jitter)) accepted++;
  }
  EXPECT_EQ(accepted, 10);
}

TEST(FpsLimiter, NoLimitTakesEverythingAndAStallRestartsTheSchedule) {
  FpsLimiter all(0);
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(all.accept(Clock::time_point{} + i * 1ms));
  FpsLimiter limiter(5);
  const Clock::time_point t0{};
  EXPECT_TRUE(limiter.accept(t0));
  EXPECT_FALSE(limiter.accept(t0 + 100ms));
  // A 2 s stall: the next frame goes, then the 200 ms period holds again (no burst).
  EXPECT_TRUE(limiter.accept(t0 + 2000ms));
  EXPECT_FALSE(limiter.accept(t0 + 2100ms));
  EXPECT_TRUE(limiter.accept(t0 + 2200ms));
}

TEST(ObjectLabel, NamesTheTrack) {
  EXPECT_EQ(object_label("person", 3, 0.871f), "person #3 0.87");
  EXPECT_EQ(object_label("car", 0, 0.5f), "car 0.50");
}

// One turn at a time, whatever the number of callers; an exception ends the turn.
TEST(SharedDetectorTurns, OneCallerAtATime) {
  if (shared_detector() == nullptr) GTEST_SKIP() << testing::kModel << " missing: run scripts/setup";
  SharedDetector& shared = *shared_detector();
  const SharedDetector::Stats before = shared.stats();
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        shared.use([&](detect::Detector& d) {
          const int now = ++inside;
          most = std::max(most.load(), now);
          std::this_thread::sleep_for(100us);
          EXPECT_EQ(d.input_size(), shared.input_size());
          --inside;
        });
      }
    });
  }
  for (std::thread& t : threads)
    t.join();
  EXPECT_EQ(most.load(), 1);
  EXPECT_THROW(shared.use([](detect::Detector&) -> int { throw Error("boom"); }), Error);
  EXPECT_EQ(shared.use([](detect::Detector&) { return 7; }), 7) << "the failed turn was handed on";
  const SharedDetector::Stats after = shared.stats();
  EXPECT_EQ(after.calls - before.calls, 102u);
  EXPECT_EQ(after.waiting, 0);
  EXPECT_EQ(shared.class_names().size(), 80u);
}

// Collects what a worker hands out, and lets the test wait for a condition on it.
struct Collector {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<FrameResult> frames;
  std::vector<EventNotice> notices;

  WorkerContext context(SharedDetector& detector, store::Store& store) {
    return WorkerContext{detector, store, config::TilingSettings{},
                         [this](const FrameResult& f) {
                           std::lock_guard lock(mutex);
                           frames.push_back(f);
                           changed.notify_all();
                         },
                         [this](const EventNotice& n) {
                           std::lock_guard lock(mutex);
                           notices.push_back(n);
                           changed.notify_all();
                         }};
  }
  template <typename Pred> bool wait(std::chrono::seconds timeout, Pred pred) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return pred(*this); });
  }
  int count(EventNotice::Kind kind) const {
    return static_cast<int>(std::count_if(notices.begin(), notices.end(),
                                          [kind](const EventNotice& n) { return n.kind == kind; }));
  }
};

class CameraWorkerTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!have_media()) GTEST_SKIP() << testing::kModel << " or " << kVideo << " missing: run scripts/setup";
  }
};

// Within 20 s the worker processes frames at its fps limit, tracks pedestrians with
// stable ids, opens a person event with a JPEG snapshot, serves JPEGs to viewers, and
// stop() closes every event it opened.
TEST_F(CameraWorkerTest, ProcessesALiveFileAndOpensEvents) {
  TempStore store("worker");
  Collector got;
  config::CameraConfig camera;
  camera.name = "vtest";
  camera.url = kVideo;
  camera.fps_limit = 5;
  CameraWorker worker(3, camera, got.context(*shared_detector(), *store));

  const bool opened = got.wait(
      20s, [](Collector& c) { return c.count(EventNotice::Kind::kOpened) >= 1 && c.frames.size() >= 10; });
  // A viewer: the newest processed frame, annotated, as JPEG.
  std::int64_t seq = 0;
  const auto jpeg = worker.wait_jpeg(0, true, 5s, seq);
  ASSERT_NE(jpeg, nullptr);
  EXPECT_GT(seq, 0);
  const cv::Mat decoded = cv::imdecode(*jpeg, cv::IMREAD_COLOR);
  EXPECT_EQ(decoded.size(), cv::Size(768, 576));
  std::int64_t same_seq = 0;
  EXPECT_EQ(worker.wait_jpeg(seq - 1, true, 1s, same_seq), jpeg) << "one encode per frame, shared";
  EXPECT_EQ(same_seq, seq);
  EXPECT_FALSE(worker.latest_frame().empty());

  const WorkerStats stats = worker.stats();
  worker.stop();
  EXPECT_FALSE(worker.running());
  EXPECT_EQ(worker.wait_jpeg(seq, true, 1s, same_seq), nullptr) << "stopped: no wait";
  EXPECT_EQ(worker.source_status().state, video::SourceState::kStopped);
  ASSERT_TRUE(opened) << "frames " << got.frames.size() << ", events opened "
                      << got.count(EventNotice::Kind::kOpened);

  std::printf("[ measured ] %lld frames processed, %.2f fps, %.2f views/frame (full plan %.2f), "
              "latency p50 %.0f ms p95 %.0f ms, inference %.0f ms, skipped %lld\n",
              static_cast<long long>(stats.frames_processed), stats.processed_fps, stats.tiles_per_frame,
              stats.full_plan_views, stats.latency_p50_ms, stats.latency_p95_ms, stats.inference_ms,
              static_cast<long long>(stats.frames_skipped));
  EXPECT_GE(stats.frames_processed, 10);
  EXPECT_GT(stats.frames_skipped_fps_limit, 0) << "a 10 fps file at a 5 fps limit";
  EXPECT_GT(stats.processed_fps, 0);
  EXPECT_LE(stats.processed_fps, 7.0) << "the fps limit holds (5, a quarter period of jitter allowed)";
  EXPECT_GT(stats.latency_p95_ms, 0);
  EXPECT_EQ(stats.frames_failed, 0) << stats.last_error;

  std::lock_guard lock(got.mutex);
  // Frame numbers increase; an id seen in consecutive frames is the same pedestrian.
  std::map<int, int> run, longest;
  for (std::size_t i = 0; i < got.frames.size(); ++i) {
    const FrameResult& f = got.frames[i];
    if (i > 0) {
      EXPECT_GT(f.seq, got.frames[i - 1].seq);
    }
    EXPECT_EQ(f.camera_id, 3);
    EXPECT_GE(f.done_ms, f.arrived_ms);
    std::map<int, int> next;
    for (const TrackedObject& o : f.objects) {
      next[o.track_id] = run.count(o.track_id) ? run[o.track_id] + 1 : 1;
      longest[o.track_id] = std::max(longest[o.track_id], next[o.track_id]);
    }
    run = std::move(next);
  }
  int best = 0;
  for (const auto& [id, n] : longest)
    best = std::max(best, n);
  EXPECT_GE(best, 3) << "some track id holds over 3 consecutive processed frames";

  EXPECT_EQ(got.count(EventNotice::Kind::kClosed), got.count(EventNotice::Kind::kOpened));
  store::EventFilter open_only;
  open_only.open = true;
  EXPECT_EQ(store->events(open_only).total, 0);
  const store::EventRecord& first = got.notices.front().event;
  EXPECT_EQ(first.label, "person");
  EXPECT_EQ(first.camera_id, 3);
  const auto path = store->snapshot_path(first.snapshot);
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(cv::imread(*path).size(), cv::Size(768, 576));
}

// A camera that cannot be opened keeps retrying without processing anything, and
// stops promptly.
TEST_F(CameraWorkerTest, AMissingFileRetriesAndStops) {
  TempStore store("worker");
  Collector got;
  config::CameraConfig camera;
  camera.name = "missing";
  camera.url = "/nonexistent/camera.mp4";
  CameraWorker worker(4, camera, got.context(*shared_detector(), *store));
  std::this_thread::sleep_for(1s);
  const video::SourceStatus status = worker.source_status();
  EXPECT_NE(status.state, video::SourceState::kLive);
  EXPECT_EQ(worker.stats().frames_processed, 0);
  worker.stop(); // returns (a hang here is the failure ctest's timeout reports)
  EXPECT_EQ(worker.source_status().state, video::SourceState::kStopped);
}

} // namespace
} // namespace tilescope::pipeline
