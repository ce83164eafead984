// CameraPipeline on the sample video (vtest.avi: pedestrians, 768x576, 10 fps) with the
// default model and a real Store: gating runs fewer views than the full plan, track ids
// are stable, events open with their zones, masks remove detections. Frames are fed
// every other one (5 fps, the default fps limit) with their video time as wall time.
#include "camera_pipeline.h"
#include "pipeline_fixture.h"
#include "tilescope/video/video_reader.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <gtest/gtest.h>
#include <map>
#include <opencv2/imgcodecs.hpp>

namespace tilescope::pipeline {
namespace {

using testing::have_media;
using testing::kVideo;
using testing::shared_detector;
using testing::TempStore;

struct VideoRun {
  std::vector<ProcessedFrame> frames;
  std::vector<EventNotice> notices;
  std::int64_t views = 0, full_plan_views = 0, gated_frames = 0, gated_views = 0, gated_full_views = 0;
  double process_s = 0; // in process() (decoding not counted)
};

config::CameraConfig vtest_camera() {
  config::CameraConfig camera;
  camera.name = "vtest";
  camera.url = kVideo;
  return camera;
}

// Processes `frames` frames of the video (every `step`-th decoded one).
VideoRun run_video(const config::CameraConfig& camera, store::Store& store, int frames, int step = 2,
                   GatingOptions gating = {}) {
  VideoRun run;
  CameraPipeline pipeline(
      1, camera, *shared_detector(), store, config::TilingSettings{},
      [&run](const EventNotice& n) { run.notices.push_back(n); }, gating);
  video::VideoReader reader = video::VideoReader::open(kVideo);
  video::Frame frame;
  for (std::int64_t decoded = 0; static_cast<int>(run.frames.size()) < frames && reader.read(frame);
       ++decoded) {
    if (decoded % step != 0) continue;
    const std::int64_t wall_ms = 1'700'000'000'000 + static_cast<std::int64_t>(frame.timestamp_s * 1000);
    const auto t0 = std::chrono::steady_clock::now();
    ProcessedFrame p = pipeline.process(frame.bgr, decoded + 1, t0, wall_ms);
    run.process_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    run.views += p.views;
    run.full_plan_views += p.full_plan_views;
    if (!p.result.sweep) {
      run.gated_frames++;
      run.gated_views += p.views;
      run.gated_full_views += p.full_plan_views;
    }
    run.frames.push_back(std::move(p));
  }
  pipeline.stop();
  return run;
}

// The longest run of consecutive processed frames in which one track id appears.
int longest_track_run(const VideoRun& run) {
  std::map<int, int> current;
  int longest = 0;
  for (const ProcessedFrame& p : run.frames) {
    std::map<int, int> next;
    for (const TrackedObject& o : p.result.objects) {
      next[o.track_id] = current.count(o.track_id) ? current[o.track_id] + 1 : 1;
      longest = std::max(longest, next[o.track_id]);
    }
    current = std::move(next);
  }
  return longest;
}

int count(const VideoRun& run, EventNotice::Kind kind) {
  return static_cast<int>(std::count_if(run.notices.begin(), run.notices.end(),
                                        [kind](const EventNotice& n) { return n.kind == kind; }));
}

class CameraPipelineTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!have_media()) GTEST_SKIP() << testing::kModel << " or " << kVideo << " missing: run scripts/setup";
  }
};

// Adaptive tiling on 768x576 for a 416 input: 4 tiles + the full frame. Gated frames run
// the tiles around motion and tracked objects only, plus the views due for a sweep (each
// view at least once every sweep_every frames); the first frame runs all of them.
// Pedestrians are tracked with stable ids and open events.
TEST_F(CameraPipelineTest, GatingRunsFewerViewsAndTracksPeople) {
  TempStore store("pipeline");
  config::CameraConfig camera = vtest_camera();
  const int frames = 30;
  const VideoRun run = run_video(camera, *store, frames);
  ASSERT_EQ(static_cast<int>(run.frames.size()), frames);
  EXPECT_TRUE(run.frames[0].result.sweep);
  EXPECT_EQ(run.frames[0].views, run.frames[0].full_plan_views) << "the first frame runs the whole plan";
  EXPECT_GT(run.gated_frames, 0);
  // Round-robin sweeps: every view of the plan (4 tiles, the full frame) runs within any
  // sweep_every consecutive frames.
  const int every = config::TilingSettings{}.sweep_every;
  std::map<std::pair<int, int>, int> last_run; // tile corner (-1, -1: full frame) -> frame
  for (int f = 0; f < frames; ++f) {
    const ProcessedFrame& p = run.frames[static_cast<std::size_t>(f)];
    EXPECT_EQ(p.full_plan_views, 5) << "adaptive plan of 768x576 for 416x416";
    EXPECT_LE(p.views, p.full_plan_views);
    EXPECT_EQ(p.result.width, 768);
    for (const tiling::TileRect& t : p.result.tiles)
      last_run[{t.x1, t.y1}] = f;
    if (p.result.full_frame) last_run[{-1, -1}] = f;
    ASSERT_EQ(last_run.size(), 5u);
    for (const auto& [view, at] : last_run)
      EXPECT_LT(f - at, every) << "view at " << view.first << "," << view.second << ", frame " << f;
  }
  std::printf("[ measured ] %d frames: %.2f views/frame (gated frames %.2f, full plan %.2f); sweeps %lld; "
              "%.1f frames/s in process()\n",
              frames, double(run.views) / frames,
              double(run.gated_views) / std::max<std::int64_t>(1, run.gated_frames),
              double(run.full_plan_views) / frames, static_cast<long long>(frames - run.gated_frames),
              frames / run.process_s);
  EXPECT_LT(run.gated_views, run.gated_full_views) << "gating must skip tiles";
  EXPECT_LT(run.views, run.full_plan_views);

  EXPECT_GE(longest_track_run(run), 5) << "a pedestrian keeps its id over consecutive frames";
  ASSERT_GE(count(run, EventNotice::Kind::kOpened), 1);
  EXPECT_EQ(count(run, EventNotice::Kind::kClosed), count(run, EventNotice::Kind::kOpened))
      << "stop() closes every event";
  store::EventFilter open_only;
  open_only.open = true;
  EXPECT_EQ(store->events(open_only).total, 0);
  const store::EventRecord& opened = run.notices.front().event;
  EXPECT_EQ(opened.label, "person");
  const auto path = store->snapshot_path(opened.snapshot);
  ASSERT_TRUE(path.has_value()) << "snapshot " << opened.snapshot;
  const cv::Mat snapshot = cv::imread(*path);
  EXPECT_EQ(snapshot.size(), cv::Size(768, 576));
}

// The measure: gating against slicing every frame fully, on the same 12 s of
// video (60 frames at 5 fps). Deterministic (same frames, no latency budget), so the
// numbers are reproducible; printed for the README. Gated must run at most half the
// views and find at least 80% of the events (person tracks that open one).
TEST_F(CameraPipelineTest, GatedEventRecallAgainstFullSlicing) {
  TempStore store("pipeline");
  config::CameraConfig camera = vtest_camera();
  const int frames = 60;
  const VideoRun gated = run_video(camera, *store, frames);
  camera.tiling = config::TilingSettings{};
  camera.tiling->motion_gating = false;
  const VideoRun full = run_video(camera, *store, frames);
  const int gated_events = count(gated, EventNotice::Kind::kOpened);
  const int full_events = count(full, EventNotice::Kind::kOpened);
  std::printf("[ measured ] vtest.avi, %d frames at 5 fps: gated %.2f views/frame, %d events, %.1f frames/s; "
              "full slicing %.2f views/frame, %d events, %.1f frames/s\n",
              frames, double(gated.views) / frames, gated_events, frames / gated.process_s,
              double(full.views) / frames, full_events, frames / full.process_s);
  EXPECT_EQ(full.views, 5 * frames);
  EXPECT_LE(2 * gated.views, full.views);
  EXPECT_GE(5 * gated_events, 4 * full_events);
}

// GatingOptions::confirmation_tiles: a large person (>= 30 px, which the full-frame pass
// alone would serve) gets a tile over it in the frames after its track starts, while its
// event is being confirmed (on by default). Without it most of those frames run no tile there.
TEST_F(CameraPipelineTest, ConfirmationTilesLookAtYoungLargeTracks) {
  TempStore store("pipeline");
  config::CameraConfig camera = vtest_camera();
  const int frames = 40;
  const int window = camera.events.confirm_m;
  // Frames (after the sweep of the first one) where a track shown for the first time at
  // most `window` frames ago has no tile over its box.
  const auto young_without_tile = [&](const VideoRun& run, int& young) {
    std::map<int, int> first_seen;
    int uncovered = 0;
    young = 0;
    for (int f = 0; f < frames; ++f) {
      const ProcessedFrame& p = run.frames[static_cast<std::size_t>(f)];
      for (const TrackedObject& o : p.result.objects) {
        const int first = first_seen.emplace(o.track_id, f).first->second;
        const bool large = std::max(o.box.width(), o.box.height()) >= 30;
        if (p.result.sweep || !large || f == first || f - first >= window) continue;
        ++young;
        const bool covered =
            std::any_of(p.result.tiles.begin(), p.result.tiles.end(), [&](const tiling::TileRect& t) {
              return t.x1 < o.box.x2 && o.box.x1 < t.x2 && t.y1 < o.box.y2 && o.box.y1 < t.y2;
            });
        uncovered += covered ? 0 : 1;
      }
    }
    return uncovered;
  };
  GatingOptions with; // the default
  GatingOptions without;
  without.confirmation_tiles = false;
  int young_with = 0, young_without = 0;
  const int uncovered_with = young_without_tile(run_video(camera, *store, frames, 2, with), young_with);
  const int uncovered_without =
      young_without_tile(run_video(camera, *store, frames, 2, without), young_without);
  std::printf("[ measured ] young large tracks without a tile over them: %d of %d with confirmation tiles, "
              "%d of %d without\n",
              uncovered_with, young_with, uncovered_without, young_without);
  // "Young" is counted from the first frame a track is shown, which can be frames after it
  // started (a track is shown once its best score reaches the threshold): a few such
  // tracks are past their window already. Measured: 1 of 49 with, 39 of 44 without.
  ASSERT_GT(young_with, 10);
  EXPECT_LE(10 * uncovered_with, young_with);
  EXPECT_GE(2 * uncovered_without, young_without) << "without the option most have no tile";
}

// GatingOptions::packed_crops + pack_large_tracks: every tracked person and every motion
// blob is a crop at the tiles' scale, packed into model inputs; the full-frame pass runs
// in sweeps (and for a crop too large for an input). Every person shown in a gated frame
// was looked at by a crop or a tile that ran, with no more views than tile gating (on the
// whole video fewer: README, "Live gating"; this busy first 16 s is about even).
TEST_F(CameraPipelineTest, PackedCropsFollowEveryPersonWithoutTheFullFrame) {
  TempStore store("pipeline");
  config::CameraConfig camera = vtest_camera();
  const int frames = 80;
  GatingOptions packed;
  packed.packed_crops = true;
  packed.pack_large_tracks = true;
  const VideoRun run = run_video(camera, *store, frames, 2, packed);
  const VideoRun tiles = run_video(camera, *store, frames);
  int gated_frames = 0, with_crops = 0, full_frame_passes = 0, shown = 0, unseen = 0;
  for (const ProcessedFrame& p : run.frames) {
    EXPECT_EQ(p.full_plan_views, 5);
    if (p.result.sweep) continue;
    ++gated_frames;
    with_crops += p.crops.empty() ? 0 : 1;
    full_frame_passes += p.result.full_frame ? 1 : 0;
    for (const tiling::TileRect& c : p.crops) {
      EXPECT_TRUE(c.x1 >= 0 && c.y1 >= 0 && c.x2 <= 768 && c.y2 <= 576) << "crop outside the frame";
    }
    for (const TrackedObject& o : p.result.objects) {
      ++shown;
      const double area = double(o.box.width()) * o.box.height();
      const auto holds_most = [&](const tiling::TileRect& t) {
        const double w = std::min<double>(o.box.x2, t.x2) - std::max<double>(o.box.x1, t.x1);
        const double h = std::min<double>(o.box.y2, t.y2) - std::max<double>(o.box.y1, t.y1);
        return w > 0 && h > 0 && w * h >= 0.5 * area;
      };
      const bool seen = p.result.full_frame || std::any_of(p.crops.begin(), p.crops.end(), holds_most) ||
                        std::any_of(p.result.tiles.begin(), p.result.tiles.end(), holds_most);
      unseen += seen ? 0 : 1;
    }
  }
  std::printf(
      "[ measured ] %d frames: packed %.2f views/frame (%d of %d gated frames with crops, %d full-frame "
      "passes), %d events; tile gating %.2f views/frame, %d events\n",
      frames, double(run.views) / frames, with_crops, gated_frames, full_frame_passes,
      count(run, EventNotice::Kind::kOpened), double(tiles.views) / frames,
      count(tiles, EventNotice::Kind::kOpened));
  ASSERT_GT(gated_frames, frames / 2);
  EXPECT_GE(2 * with_crops, gated_frames) << "most gated frames look through crops";
  EXPECT_LE(run.views, tiles.views + frames / 10);
  EXPECT_LE(10 * full_frame_passes, gated_frames) << "the full-frame pass is for sweeps now";
  ASSERT_GT(shown, 20);
  EXPECT_EQ(unseen, 0) << "a shown person no view that ran looked at";
  EXPECT_GE(longest_track_run(run), 5);
  EXPECT_GE(5 * count(run, EventNotice::Kind::kOpened), 4 * count(tiles, EventNotice::Kind::kOpened));
}

// A mask over the whole frame: nothing detected, tracked or opened.
TEST_F(CameraPipelineTest, MaskOverTheWholeFrameRemovesEverything) {
  TempStore store("pipeline");
  config::CameraConfig camera;
  camera.name = "masked";
  camera.url = kVideo;
  camera.tiling = config::TilingSettings{};
  camera.tiling->mode = "off"; // one view a frame: masks do not depend on tiling
  camera.masks = {{{0, 0}, {1, 0}, {1, 1}, {0, 1}}};
  const VideoRun run = run_video(camera, *store, 8);
  for (const ProcessedFrame& p : run.frames) {
    EXPECT_EQ(p.detections, 0);
    EXPECT_TRUE(p.result.objects.empty());
    EXPECT_EQ(p.views, 1);
  }
  EXPECT_TRUE(run.notices.empty());
  // The same frames without the mask do find people (the mask did the work).
  camera.masks.clear();
  const VideoRun unmasked = run_video(camera, *store, 8);
  int found = 0;
  for (const ProcessedFrame& p : unmasked.frames)
    found += p.detections;
  EXPECT_GT(found, 0);
}

// A zone over the left half of the frame: pedestrians there record it in their events.
TEST_F(CameraPipelineTest, EventsRecordTheZonesTheyEnter) {
  TempStore store("pipeline");
  config::CameraConfig camera;
  camera.name = "zoned";
  camera.url = kVideo;
  camera.tiling = config::TilingSettings{};
  camera.tiling->mode = "off";
  camera.zones = {{"left", {{0, 0}, {0.5, 0}, {0.5, 1}, {0, 1}}}};
  const VideoRun run = run_video(camera, *store, 30);
  ASSERT_GE(count(run, EventNotice::Kind::kOpened), 1);
  int with_zone = 0;
  for (const EventNotice& n : run.notices) {
    if (n.kind != EventNotice::Kind::kClosed) continue;
    const auto stored = store->event(n.event.id);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->zones, n.event.zones);
    if (!n.event.zones.empty()) {
      EXPECT_EQ(n.event.zones, std::vector<std::string>{"left"});
      with_zone++;
    }
  }
  EXPECT_GE(with_zone, 1);
  store::EventFilter in_left;
  in_left.zone = "left";
  EXPECT_EQ(store->events(in_left).total, with_zone);
}

} // namespace
} // namespace tilescope::pipeline
