// Updating a running camera (CameraWorker::update,
// CameraPipeline::continue_from): new settings for the same stream keep the
// connection, the tracks and the open events; a new stream is refused (the
// System restarts the worker then). The scene is one frame of the sample video
// repeated: the pedestrians in it never leave, so any event that closes does so
// because of the update.
#include "camera_worker.h"
#include "pipeline_fixture.h"
#include "tilescope/video/video_reader.h"
#include "tilescope/video/video_writer.h"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <gtest/gtest.h>
#include <mutex>
#include <set>

namespace tilescope::pipeline {
namespace {

using namespace std::chrono_literals;
using testing::have_media;
using testing::kVideo;
using testing::shared_detector;
using testing::TempStore;

// Frame 60 of the sample video, 40 times at 10 fps (played in a loop by the
// source).
std::string still_scene() {
  const auto path = std::filesystem::temp_directory_path() /
                    ("tilescope_update_still_" + std::to_string(::getpid()) + ".mp4");
  if (std::filesystem::exists(path)) return path.string();
  video::VideoReader reader = video::VideoReader::open(kVideo);
  video::Frame frame;
  for (int i = 0; i <= 60; ++i)
    if (!reader.read(frame)) break;
  video::VideoWriter writer = video::VideoWriter::open(path.string(), frame.bgr.cols, frame.bgr.rows, 10.0);
  for (int i = 0; i < 40; ++i)
    writer.write(frame.bgr);
  writer.close();
  return path.string();
}

struct Notices {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<EventNotice> all;
  std::int64_t frames = 0;

  WorkerContext context(SharedDetector& detector, store::Store& store) {
    return WorkerContext{detector, store, config::TilingSettings{},
                         [this](const FrameResult&) {
                           std::lock_guard lock(mutex);
                           frames++;
                           changed.notify_all();
                         },
                         [this](const EventNotice& n) {
                           std::lock_guard lock(mutex);
                           all.push_back(n);
                           changed.notify_all();
                         }};
  }
  // Ids of the events opened and not closed.
  std::set<std::int64_t> open_ids() {
    std::lock_guard lock(mutex);
    std::set<std::int64_t> open;
    for (const EventNotice& n : all) {
      if (n.kind == EventNotice::Kind::kOpened) open.insert(n.event.id);
      if (n.kind == EventNotice::Kind::kClosed) open.erase(n.event.id);
    }
    return open;
  }
  int count_since(std::size_t from, EventNotice::Kind kind) {
    std::lock_guard lock(mutex);
    int n = 0;
    for (std::size_t i = from; i < all.size(); ++i)
      n += all[i].kind == kind ? 1 : 0;
    return n;
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return all.size();
  }
  bool wait_frames(std::int64_t more, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex);
    const std::int64_t target = frames + more;
    return changed.wait_for(lock, timeout, [&] { return frames >= target; });
  }
};

class CameraUpdateTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!have_media()) GTEST_SKIP() << testing::kModel << " or " << kVideo << " missing: run scripts/setup";
  }

  // The still scene at 5 fps.
  static config::CameraConfig still_camera() {
    config::CameraConfig camera;
    camera.name = "still";
    camera.url = still_scene();
    camera.fps_limit = 5;
    return camera;
  }
  // Up to 60 frames for the first event to open (tracks confirm on 3 of 5 frames).
  static void wait_for_an_event(Notices& got) {
    for (int i = 0; i < 60 && got.open_ids().empty(); ++i)
      got.wait_frames(1, 20s);
  }
};

TEST_F(CameraUpdateTest, SameStreamKeepsTracksAndOpenEvents) {
  TempStore store("update");
  Notices got;
  const config::CameraConfig camera = still_camera();
  CameraWorker worker(7, camera, got.context(*shared_detector(), *store));
  wait_for_an_event(got);
  // A few more frames to settle.
  ASSERT_TRUE(got.wait_frames(5, 30s));
  const std::set<std::int64_t> open_before = got.open_ids();
  ASSERT_FALSE(open_before.empty()) << "no person event in the still scene";
  const std::int64_t processed_before = worker.stats().frames_processed;
  const int reconnects_before = worker.source_status().reconnects;

  // A zone over the left half, a new name and a stricter event score: the stream stays.
  // (A lower min_score would rightly open events for tracks that scored between the two.)
  config::CameraConfig edited = camera;
  edited.name = "still-renamed";
  edited.zones.push_back({"left", {{0, 0}, {0.5, 0}, {0.5, 1}, {0, 1}}});
  edited.events.min_score = 0.55;
  const std::size_t notices_at_update = got.size();
  ASSERT_TRUE(worker.update(edited));
  EXPECT_EQ(worker.config().name, "still-renamed");
  ASSERT_TRUE(got.wait_frames(10, 60s));

  EXPECT_EQ(got.count_since(notices_at_update, EventNotice::Kind::kClosed), 0)
      << "an update of the same stream closed events";
  EXPECT_EQ(got.count_since(notices_at_update, EventNotice::Kind::kOpened), 0)
      << "an update of the same stream reopened events";
  const std::set<std::int64_t> open_after = got.open_ids();
  EXPECT_EQ(open_after, open_before);
  EXPECT_GT(worker.stats().frames_processed, processed_before) << "counters go on";
  EXPECT_EQ(worker.source_status().reconnects, reconnects_before);
  {
    // The events carry the new camera name from their next update on.
    std::lock_guard lock(got.mutex);
    bool renamed = false;
    for (std::size_t i = notices_at_update; i < got.all.size(); ++i)
      renamed = renamed || got.all[i].event.camera_name == "still-renamed";
    EXPECT_TRUE(renamed || got.all.size() == notices_at_update);
  }

  // A new stream is not an in-place update: the caller restarts the worker.
  config::CameraConfig moved = edited;
  moved.url = kVideo;
  EXPECT_FALSE(worker.update(moved));
  EXPECT_EQ(worker.config().url, edited.url);

  // Settings the pipeline refuses change nothing.
  config::CameraConfig refused = edited;
  refused.classes = {"unicorn"};
  EXPECT_THROW(worker.update(refused), Error);
  EXPECT_EQ(worker.config().name, "still-renamed");

  worker.stop();
  EXPECT_TRUE(got.open_ids().empty()) << "stop closes every event";
  EXPECT_FALSE(worker.update(edited)) << "a stopped worker takes no update";
}

// The tracker's own settings (here the fps limit, which scales how long a lost
// track is kept) cannot change under running tracks: they start over and their
// events close.
TEST_F(CameraUpdateTest, ANewFpsLimitStartsTracksOver) {
  TempStore store("update");
  Notices got;
  const config::CameraConfig camera = still_camera();
  CameraWorker worker(8, camera, got.context(*shared_detector(), *store));
  wait_for_an_event(got);
  ASSERT_FALSE(got.open_ids().empty());
  config::CameraConfig slower = camera;
  slower.fps_limit = 4;
  const std::size_t notices_at_update = got.size();
  ASSERT_TRUE(worker.update(slower));
  EXPECT_GT(got.count_since(notices_at_update, EventNotice::Kind::kClosed), 0);
  worker.stop();
}

} // namespace
} // namespace tilescope::pipeline
