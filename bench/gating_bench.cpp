// Motion/track gating against slicing every frame fully (issue #5's benchmark): the
// camera pipeline (motion -> gated adaptive plan -> detector -> ByteTrack -> events) on
// the sample video, every `step`-th frame (2: the default 5 fps of a 10 fps camera), once
// with the full plan on every frame and once gated per sweep interval (each view of the
// plan swept round-robin at least once every sweep_every frames, camera_pipeline.h).
//
//   gating_bench [--video vtest.avi] [--model nanodet.json] [--frames 0] [--step 2]
//                [--sweep-every 10,15,20] [--shifts 1,2,3] [--verbose]
//                [--confirmation-tiles 1|0] [--large-in-tiles 1|0] [--ghost-filter LEVELS]
//                [--still-every N] [--packed 0|1] [--pack-large 0|1] [--pack-gap PX]
//                [--pack-join PX] [--predicted-padding FRACTION] [--motion-padding PX]
//                (GatingOptions, camera_pipeline.h; defaults as shipped) [--full-shifts 0|1]
//                [--match iou|contained]
//
// --shifts: the measure's own noise. Every run is repeated on the frames moved by each of
// these many pixels (a camera that shook a little), full slicing too; the summary compares
// full slicing's and gating's mean recall of the unmoved reference under the same shifts.
// Without it a gated run is compared with the very run that defined the reference events.
// --full-shifts 0 skips full slicing's moved runs (they do not depend on the gating
// options, so comparing gating variants needs them once).
//
// Event recall of a gated run, with the full-slicing run's events as the reference: a
// reference event is found when some gated event follows the same object, i.e. in at
// least one processed frame while both events are open their tracks' boxes overlap with
// IoU >= 0.5 (the two runs number tracks independently, so boxes are what can be
// compared). Also reported: the delay in processed frames from the reference event's
// opening to its match's (gating may find an object later, at the next sweep).
// --match contained also counts boxes one of which lies mostly inside the other
// (same_object()): a diagnostic for reference events that are two people in one box.
// Views = tiles + packed canvases + the full-frame pass that ran; the engine's cost is per
// view (every view is one model input). The summary also gives the share of tiles alone
// (views other than the full-frame pass), the "tiles of full slicing".
// --verbose lists the reference events and, per gated run, the ones it missed with the
// best IoU any gated box reached in each frame the reference showed the object.
#include "camera_pipeline.h"
#include "shared_detector.h"
#include "tilescope/core/error.h"
#include "tilescope/store/store.h"
#include "tilescope/tiling/merge.h"
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

bool g_full_shifts = true; // --full-shifts 0: full slicing not rerun on the moved frames
GatingOptions g_gating; // --confirmation-tiles, --large-in-tiles, --ghost-filter, --still-every, --packed...

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
    CameraPipeline pipeline(
        1, camera, detector, *store, tiling,
        [&](const EventNotice& n) {
          if (n.kind == EventNotice::Kind::kOpened) {
            span_of_event[n.event.id] = run.events.size();
            run.events.push_back({static_cast<int>(n.event.track_id), frame_index, -1});
          } else if (n.kind == EventNotice::Kind::kClosed && span_of_event.count(n.event.id)) {
            run.events[span_of_event[n.event.id]].closed_frame = frame_index;
          }
        },
        g_gating);
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

// Whether two runs' boxes follow the same object: IoU >= 0.5; with --match contained also
// when one lies >= 80% inside the other and has >= 30% of its area (one person of a pair
// that the other run boxed together, as slicing's merge of a tile and the full frame can).
bool g_match_contained = false;
bool same_object(const detect::BoxXYXY& a, const detect::BoxXYXY& b) {
  if (detect::iou(a, b) >= 0.5) return true;
  if (!g_match_contained) return false;
  const float small = std::min(a.area(), b.area()), large = std::max(a.area(), b.area());
  return tiling::ios(a, b) >= 0.8 && small >= 0.3f * large;
}

Recall event_recall(const Run& reference, const Run& candidate) {
  Recall r;
  r.total = static_cast<int>(reference.events.size());
  for (const EventSpan& ref : reference.events) {
    const auto [ref_begin, ref_end] = frames_of(ref, reference);
    bool found = false;
    int delay = 0;
    for (const EventSpan& cand : candidate.events) {
      const auto [cand_begin, cand_end] = frames_of(cand, candidate);
      bool follows = false;
      for (int f = std::max(ref_begin, cand_begin); f < std::min(ref_end, cand_end) && !follows; ++f) {
        const auto& rb = reference.boxes[f];
        const auto& cb = candidate.boxes[f];
        const auto a = rb.find(ref.track_id);
        const auto b = cb.find(cand.track_id);
        follows = a != rb.end() && b != cb.end() && same_object(a->second, b->second);
      }
      if (!follows) continue;
      found = true;
      delay = cand.opened_frame - ref.opened_frame;
      break;
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
  std::vector<int> shifts; // --shifts: every run again on frames moved by these many px
  std::vector<int> sweeps{10, 15, 20};
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--verbose") {
      g_verbose = true;
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
    else if (flag == "--shifts")
      shifts = parse_list(value);
    else if (flag == "--confirmation-tiles")
      g_gating.confirmation_tiles = value == "1";
    else if (flag == "--large-in-tiles")
      g_gating.large_in_kept_tiles = value == "1";
    else if (flag == "--ghost-filter")
      g_gating.motion.change_threshold = std::stoi(value);
    else if (flag == "--packed")
      g_gating.packed_crops = value == "1";
    else if (flag == "--pack-gap")
      g_gating.pack_gap_px = std::stoi(value);
    else if (flag == "--pack-join")
      g_gating.pack_join_px = std::stoi(value);
    else if (flag == "--predicted-padding")
      g_gating.predicted_padding = std::stod(value);
    else if (flag == "--pack-large")
      g_gating.pack_large_tracks = value == "1";
    else if (flag == "--match")
      g_match_contained = value == "contained";
    else if (flag == "--full-shifts")
      g_full_shifts = value == "1";
    else if (flag == "--motion-padding")
      g_gating.motion_padding_px = std::stoi(value);
    else if (flag == "--still-every")
      g_gating.still_track_every = std::stoi(value);
    else if (flag == "--sweep-every")
      sweeps = parse_list(value);
    else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  if (std::any_of(shifts.begin(), shifts.end(), [](int s) { return s < 1; })) {
    std::fprintf(stderr, "--shifts: every shift must be >= 1 px\n");
    return 2;
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
        "| run | views/frame | full-frame passes/frame | share of full | events (following a reference one) "
        "| event recall vs full | median delay (frames) | ms/frame |\n|---|---|---|---|---|---|---|---|\n");
    std::printf("| full slicing every frame | %.2f | %.2f | 1.00 | %zu | - | - | %.0f |\n",
                double(full.views) / full.frames, double(full.full_frame_passes) / full.frames,
                full.events.size(), 1000 * full.seconds / full.frames);
    // One row per run; returns its recall of the reference events.
    const auto report = [&](const std::string& name, const Run& run) {
      const Recall recall = event_recall(full, run);
      const bool verbose = g_verbose;
      g_verbose = false;
      const Recall matched = event_recall(run, full); // its events that follow a reference one
      g_verbose = verbose;
      std::vector<int> delays = recall.delays;
      std::sort(delays.begin(), delays.end());
      const int median_delay = delays.empty() ? 0 : delays[delays.size() / 2];
      std::printf("| %s | %.2f | %.2f | %.2f | %zu (%d) | %d/%d = %.2f | %d | %.0f |\n", name.c_str(),
                  double(run.views) / run.frames, double(run.full_frame_passes) / run.frames,
                  double(run.views) / full.views, run.events.size(), matched.found, recall.found,
                  recall.total, recall.total ? double(recall.found) / recall.total : 1.0, median_delay,
                  1000 * run.seconds / run.frames);
      std::fflush(stdout);
      if (g_verbose) {
        std::string flags;
        for (const bool f : recall.each)
          flags += f ? '+' : '.';
        std::fprintf(stderr, "found %s  %s\n", flags.c_str(), name.c_str());
      }
      return recall;
    };
    // The measure's own noise: the same frames moved by a pixel or a few (a camera that
    // shook a little) change which events a run sees for a frame or two. Full slicing and
    // gating both run on each moved copy, so both are compared under the same disturbance.
    struct Summary {
      std::string name;
      std::vector<int> found;
      double views_share = 0;
      double tiles_share = 0; // views other than the full-frame pass (tiles, packed canvases)
    };
    std::vector<Summary> summaries;
    if (!shifts.empty() && g_full_shifts) {
      Summary s{"full slicing", {}, 1.0, 1.0};
      for (int shift : shifts) {
        std::fprintf(stderr, "[gating_bench] full slicing, frames moved %d px...\n", shift);
        const Run moved = run_video("full, moved", video, detector, full_tiling, max_frames, step, shift);
        s.found.push_back(report("full slicing, frames moved " + std::to_string(shift) + " px", moved).found);
      }
      summaries.push_back(s);
    }
    for (int sweep : sweeps) {
      config::TilingSettings gated = full_tiling;
      gated.motion_gating = true;
      gated.sweep_every = sweep;
      Summary s{"gated, sweep every " + std::to_string(sweep), {}, 0, 0};
      std::vector<int> all_shifts{0};
      all_shifts.insert(all_shifts.end(), shifts.begin(), shifts.end());
      std::int64_t views = 0, full_views = 0, tiles = 0, full_tiles = 0;
      for (int shift : all_shifts) {
        std::fprintf(stderr, "[gating_bench] gated, sweep every %d, frames moved %d px...\n", sweep, shift);
        const Run run = run_video("gated", video, detector, gated, max_frames, step, shift);
        const std::string name =
            s.name + (shift > 0 ? ", frames moved " + std::to_string(shift) + " px" : std::string());
        const Recall recall = report(name, run);
        if (shift > 0) s.found.push_back(recall.found);
        views += run.views;
        full_views += full.views;
        tiles += run.views - run.full_frame_passes;
        full_tiles += full.views - full.full_frame_passes;
      }
      s.views_share = double(views) / full_views;
      s.tiles_share = full_tiles > 0 ? double(tiles) / full_tiles : 0.0;
      summaries.push_back(s);
    }
    if (!shifts.empty()) {
      std::printf("\nevent recall on the moved frames (mean over %zu shifts; each run's count):\n",
                  shifts.size());
      for (const Summary& s : summaries) {
        double mean = 0;
        std::string each;
        for (const int f : s.found) {
          mean += f;
          each += (each.empty() ? "" : ", ") + std::to_string(f);
        }
        mean /= static_cast<double>(s.found.size());
        std::printf("- %s: share of views %.2f (of tiles %.2f), recall %.1f/%zu = %.3f (%s)\n",
                    s.name.c_str(), s.views_share, s.tiles_share, mean, full.events.size(),
                    full.events.empty() ? 1.0 : mean / full.events.size(), each.c_str());
      }
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
