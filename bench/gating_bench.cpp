// Motion/track gating against slicing every frame fully (issue #5's benchmark): the
// camera pipeline (motion -> gated adaptive plan -> detector -> ByteTrack -> events) on
// the sample video, every `step`-th frame (2: the default 5 fps of a 10 fps camera), once
// with the full plan on every frame and once gated per sweep interval (each view of the
// plan swept round-robin at least once every sweep_every frames, camera_pipeline.h).
//
//   gating_bench [--video vtest.avi] [--model nanodet.json] [--frames 0] [--step 2]
//                [--sweep-every 10,15,20] [--noise-floor] [--verbose]
//
// Event recall of a gated run, with the full-slicing run's events as the reference: a
// reference event is found when some gated event follows the same object, i.e. in at
// least one processed frame while both events are open their tracks' boxes overlap with
// IoU >= 0.5 (the two runs number tracks independently, so boxes are what can be
// compared). Also reported: the delay in processed frames from the reference event's
// opening to its match's (gating may find an object later, at the next sweep).
// Views = tiles + the full-frame pass that ran; the engine's cost is per view.
// --verbose lists the reference events and, per gated run, the ones it missed with the
// best IoU any gated box reached in each frame the reference showed the object.
#include "camera_pipeline.h"
#include "shared_detector.h"
#include "tilescope/core/error.h"
#include "tilescope/store/store.h"
#include "tilescope/video/video_reader.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <spdlog/spdlog.h>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace tilescope;

bool g_verbose = false; // --verbose: the reference events and the ones each gated run missed
using namespace tilescope::pipeline;

struct EventSpan {
  int track_id = 0;
  int opened_frame = 0;
  int closed_frame = -1; // -1: open at the end
};

struct Run {
  std::string name;
  std::int64_t frames = 0, views = 0, full_plan_views = 0, full_frame_passes = 0;
  double seconds = 0;
  std::vector<std::map<int, detect::BoxXYXY>> boxes; // per processed frame: track id -> box
  std::vector<EventSpan> events;
};

// `shift_px` > 0: every frame moved right and down by that many pixels (edge replicated),
// a camera that shook a little; boxes are moved back, so runs compare in one coordinate frame.
Run run_video(const std::string& name, const std::string& video, SharedDetector& detector,
              const config::TilingSettings& tiling, int max_frames, int step, int shift_px = 0) {
  Run run;
  run.name = name;
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("tilescope_gating_" + std::to_string(::getpid()) + "_" + std::to_string(tiling.sweep_every));
  std::filesystem::remove_all(dir);
  {
    auto store = store::Store::open(dir.string());
    config::CameraConfig camera;
    camera.name = "bench";
    camera.url = video;
    camera.tiling = tiling;
    std::map<std::int64_t, std::size_t> span_of_event;
    int frame_index = 0;
    CameraPipeline pipeline(1, camera, detector, *store, tiling, [&](const EventNotice& n) {
      if (n.kind == EventNotice::Kind::kOpened) {
        span_of_event[n.event.id] = run.events.size();
        run.events.push_back({static_cast<int>(n.event.track_id), frame_index, -1});
      } else if (n.kind == EventNotice::Kind::kClosed && span_of_event.count(n.event.id)) {
        run.events[span_of_event[n.event.id]].closed_frame = frame_index;
      }
    });
    video::VideoReader reader = video::VideoReader::open(video);
    video::Frame frame;
    for (std::int64_t decoded = 0; (max_frames <= 0 || frame_index < max_frames) && reader.read(frame);
         ++decoded) {
      if (decoded % step != 0) continue;
      const std::int64_t wall_ms = 1'700'000'000'000 + static_cast<std::int64_t>(frame.timestamp_s * 1000);
      const auto t0 = std::chrono::steady_clock::now();
      if (shift_px > 0) {
        cv::Mat shifted;
        cv::copyMakeBorder(frame.bgr, shifted, shift_px, 0, shift_px, 0, cv::BORDER_REPLICATE);
        frame.bgr = shifted(cv::Rect(0, 0, frame.bgr.cols, frame.bgr.rows)).clone();
      }
      ProcessedFrame p = pipeline.process(frame.bgr, decoded + 1, t0, wall_ms);
      run.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      run.views += p.views;
      run.full_plan_views += p.full_plan_views;
      run.full_frame_passes += p.result.full_frame ? 1 : 0;
      std::map<int, detect::BoxXYXY> boxes;
      for (const TrackedObject& o : p.result.objects) {
        const float d = static_cast<float>(shift_px);
        boxes[o.track_id] = {o.box.x1 - d, o.box.y1 - d, o.box.x2 - d, o.box.y2 - d};
      }
      run.boxes.push_back(std::move(boxes));
      ++frame_index;
    }
    run.frames = frame_index;
    pipeline.stop();
  }
  std::filesystem::remove_all(dir);
  return run;
}

// Processed frames [opened, closed) of an event (open at the end: up to the last frame).
std::pair<int, int> frames_of(const EventSpan& e, const Run& run) {
  const int last = static_cast<int>(run.frames);
  return {e.opened_frame, e.closed_frame < 0 ? last : std::min(e.closed_frame + 1, last)};
}

struct Recall {
  int found = 0, total = 0;
  std::vector<int> delays; // processed frames, candidate opening - reference opening
  std::vector<bool> each;  // by reference event: found
};

Recall event_recall(const Run& reference, const Run& candidate) {
  Recall r;
  r.total = static_cast<int>(reference.events.size());
  for (const EventSpan& ref : reference.events) {
    const auto [ref_begin, ref_end] = frames_of(ref, reference);
    bool found = false;
    int delay = 0;
    for (const EventSpan& cand : candidate.events) {
      const auto [cand_begin, cand_end] = frames_of(cand, candidate);
      for (int f = std::max(ref_begin, cand_begin); f < std::min(ref_end, cand_end) && !found; ++f) {
        const auto& rb = reference.boxes[f];
        const auto& cb = candidate.boxes[f];
        const auto a = rb.find(ref.track_id);
        const auto b = cb.find(cand.track_id);
        if (a != rb.end() && b != cb.end() && detect::iou(a->second, b->second) >= 0.5) {
          found = true;
          delay = cand.opened_frame - ref.opened_frame;
        }
      }
      if (found) break;
    }
    r.each.push_back(found);
    if (found) {
      ++r.found;
      r.delays.push_back(delay);
    } else if (g_verbose) {
      const auto& b = reference.boxes[ref.opened_frame].count(ref.track_id)
                          ? reference.boxes[ref.opened_frame].at(ref.track_id)
                          : detect::BoxXYXY{};
      std::fprintf(stderr, "missed: track %d frames %d-%d box %.0fx%.0f@%.0f,%.0f\n", ref.track_id,
                   ref.opened_frame, ref.closed_frame, b.width(), b.height(), b.x1, b.y1);
      // Per frame of the reference event: the candidate box overlapping it most, and
      // whether that candidate track had an event open then ('*').
      for (int f = ref_begin; f < ref_end; ++f) {
        const auto a = reference.boxes[f].find(ref.track_id);
        if (a == reference.boxes[f].end()) continue;
        double best = 0;
        int best_track = 0;
        for (const auto& [id, box] : candidate.boxes[f]) {
          if (detect::iou(a->second, box) > best) {
            best = detect::iou(a->second, box);
            best_track = id;
          }
        }
        const bool open =
            std::any_of(candidate.events.begin(), candidate.events.end(), [&](const EventSpan& e) {
              const auto [begin, end] = frames_of(e, candidate);
              return e.track_id == best_track && begin <= f && f < end;
            });
        std::fprintf(stderr, "  frame %d: best IoU %.2f with track %d%s\n", f, best, best_track,
                     open ? "*" : "");
      }
    }
  }
  return r;
}

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> values;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    values.push_back(std::stoi(item));
  return values;
}

} // namespace

int main(int argc, char** argv) {
  const std::string root = TILESCOPE_SOURCE_DIR;
  std::string video = root + "/.cache/media/vtest.avi";
  std::string model = root + "/.cache/models/nanodet/nanodet.json";
  int max_frames = 0, step = 2;
  bool noise_floor = false; // --noise-floor: also full slicing on frames moved by 1 px
  std::vector<bool> stable; // with --noise-floor: reference events the moved run also found
  std::vector<std::string> stable_recall;
  std::vector<int> sweeps{10, 15, 20};
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--verbose") {
      g_verbose = true;
      --i;
      continue;
    }
    if (flag == "--noise-floor") {
      noise_floor = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "option %s needs a value\n", flag.c_str());
      return 2;
    }
    const std::string value = argv[i + 1];
    if (flag == "--video")
      video = value;
    else if (flag == "--model")
      model = value;
    else if (flag == "--frames")
      max_frames = std::stoi(value);
    else if (flag == "--step")
      step = std::stoi(value);
    else if (flag == "--sweep-every")
      sweeps = parse_list(value);
    else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn); // the pipeline logs every event at info
  try {
    SharedDetector detector(detect::Detector::open(model));
    config::TilingSettings full_tiling; // adaptive, default min object
    full_tiling.motion_gating = false;
    std::fprintf(stderr, "[gating_bench] full slicing on every frame...\n");
    const Run full = run_video("full slicing", video, detector, full_tiling, max_frames, step);
    if (g_verbose) {
      for (const EventSpan& e : full.events) {
        const auto& m = full.boxes[e.opened_frame];
        const detect::BoxXYXY b = m.count(e.track_id) ? m.at(e.track_id) : detect::BoxXYXY{};
        std::fprintf(stderr, "ref event: track %d frames %d-%d box %.0fx%.0f@%.0f,%.0f\n", e.track_id,
                     e.opened_frame, e.closed_frame, b.width(), b.height(), b.x1, b.y1);
      }
    }
    std::printf(
        "| run | views/frame | full-frame passes/frame | share of full | events | event recall vs full "
        "| median delay (frames) | ms/frame |\n|---|---|---|---|---|---|---|---|\n");
    std::printf("| full slicing every frame | %.2f | %.2f | 1.00 | %zu | - | - | %.0f |\n",
                double(full.views) / full.frames, double(full.full_frame_passes) / full.frames,
                full.events.size(), 1000 * full.seconds / full.frames);
    if (noise_floor) {
      // The measure's own noise: full slicing again on the frames moved by 1 px. Events
      // seen for a frame or two by one run are often not seen by the other.
      std::fprintf(stderr, "[gating_bench] full slicing on every frame, frames moved 1 px...\n");
      const Run moved = run_video("full, moved 1 px", video, detector, full_tiling, max_frames, step, 1);
      const Recall recall = event_recall(full, moved);
      stable = recall.each;
      std::printf(
          "| full slicing, frames moved 1 px | %.2f | %.2f | %.2f | %zu | %d/%d = %.2f | - | %.0f |\n",
          double(moved.views) / moved.frames, double(moved.full_frame_passes) / moved.frames,
          double(moved.views) / full.views, moved.events.size(), recall.found, recall.total,
          recall.total ? double(recall.found) / recall.total : 1.0, 1000 * moved.seconds / moved.frames);
    }
    for (int sweep : sweeps) {
      config::TilingSettings gated = full_tiling;
      gated.motion_gating = true;
      gated.sweep_every = sweep;
      std::fprintf(stderr, "[gating_bench] gated, sweep every %d...\n", sweep);
      const Run run = run_video("gated", video, detector, gated, max_frames, step);
      const Recall recall = event_recall(full, run);
      const bool verbose = g_verbose;
      g_verbose = false;
      const Recall matched = event_recall(run, full); // gated events that follow a reference one
      g_verbose = verbose;
      if (!stable.empty()) {
        int stable_total = 0, stable_found = 0;
        for (std::size_t e = 0; e < stable.size(); ++e) {
          stable_total += stable[e] ? 1 : 0;
          stable_found += stable[e] && recall.each[e] ? 1 : 0;
        }
        stable_recall.push_back("sweep every " + std::to_string(sweep) + ": " + std::to_string(stable_found) +
                                "/" + std::to_string(stable_total));
      }
      std::vector<int> delays = recall.delays;
      std::sort(delays.begin(), delays.end());
      const int median_delay = delays.empty() ? 0 : delays[delays.size() / 2];
      std::printf(
          "| gated, sweep every %d | %.2f | %.2f | %.2f | %zu (%d match) | %d/%d = %.2f | %d | %.0f |\n",
          sweep, double(run.views) / run.frames, double(run.full_frame_passes) / run.frames,
          double(run.views) / full.views, run.events.size(), matched.found, recall.found, recall.total,
          recall.total ? double(recall.found) / recall.total : 1.0, median_delay,
          1000 * run.seconds / run.frames);
    }
    if (!stable_recall.empty()) {
      std::printf("\nrecall of the reference events the 1-px-moved full slicing also found:");
      for (const std::string& line : stable_recall)
        std::printf(" %s;", line.c_str());
      std::printf("\n");
    }
    std::printf("\n%lld processed frames of %s (every %d-th), full plan %.2f views/frame\n",
                static_cast<long long>(full.frames), video.c_str(), step,
                double(full.full_plan_views) / full.frames);
  } catch (const tilescope::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
