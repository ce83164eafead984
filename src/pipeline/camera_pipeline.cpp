// One camera frame through motion, gated tiles, detection, masks, tracking and events
// (camera_pipeline.h).
#include "camera_pipeline.h"

#include "tilescope/core/error.h"

#include <algorithm>
#include <cmath>

namespace tilescope::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

int class_id_of(const std::vector<std::string>& names, const std::string& name) {
  const auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

cv::Rect to_rect(const detect::BoxXYXY& b, double pad_fraction, int pad_px) {
  const double px = pad_fraction * b.width() + pad_px, py = pad_fraction * b.height() + pad_px;
  const int x1 = static_cast<int>(std::floor(b.x1 - px)), y1 = static_cast<int>(std::floor(b.y1 - py));
  const int x2 = static_cast<int>(std::ceil(b.x2 + px)), y2 = static_cast<int>(std::ceil(b.y2 + py));
  return {x1, y1, std::max(0, x2 - x1), std::max(0, y2 - y1)};
}

// ByteTrack's reference scales its 30-frame buffer by frame_rate / 30: the frame rate
// the tracker sees is the processed one, the camera's limit (10 when unlimited: a guess
// that keeps a lost track for ~1 s of a typical live rate).
track::TrackerOptions tracker_options(const config::CameraConfig& camera, float lowest_threshold) {
  track::TrackerOptions o;
  o.frame_rate = camera.fps_limit > 0 ? camera.fps_limit : 10.0;
  o.track_thresh = lowest_threshold;
  o.low_thresh = 0.5f * lowest_threshold;
  return o;
}

std::vector<float> class_thresholds(const config::CameraConfig& camera,
                                    const std::vector<std::string>& names) {
  std::vector<float> thresholds(names.size(), static_cast<float>(camera.score_threshold));
  for (const auto& [name, threshold] : camera.class_thresholds) {
    const int id = class_id_of(names, name);
    if (id >= 0) thresholds[static_cast<std::size_t>(id)] = static_cast<float>(threshold);
  }
  return thresholds;
}

EventTrackerOptions event_options(std::int64_t camera_id, const config::CameraConfig& camera,
                                  const std::vector<float>& thresholds) {
  EventTrackerOptions o;
  o.camera_id = camera_id;
  o.camera_name = camera.name;
  o.settings = camera.events;
  o.class_thresholds = thresholds;
  return o;
}

// Whether at least half of `rect` lies inside one of `boxes`.
bool half_inside_any(const cv::Rect& rect, const std::vector<cv::Rect>& boxes) {
  return std::any_of(boxes.begin(), boxes.end(),
                     [&](const cv::Rect& t) { return 2 * (rect & t).area() >= rect.area(); });
}

} // namespace

tiling::SliceOptions to_slice_options(const config::TilingSettings& tiling) {
  tiling::SliceOptions o;
  tiling::parse_slice_mode(tiling.mode, o);
  o.overlap = tiling.overlap;
  o.min_object_px = tiling.min_object_px;
  o.budget_ms = tiling.budget_ms;
  o.full_frame = tiling.full_frame;
  return o;
}

CameraPipeline::CameraPipeline(std::int64_t camera_id, config::CameraConfig camera, SharedDetector& detector,
                               store::Store& store, const config::TilingSettings& tiling_defaults,
                               std::function<void(const EventNotice&)> on_event, GatingOptions gating)
    : camera_id_(camera_id), camera_(std::move(camera)), tiling_(camera_.tiling.value_or(tiling_defaults)),
      detector_(detector), gating_(gating),
      tiled_(detector.make_tiled(to_slice_options(tiling_), tiling::MergeOptions{})),
      class_threshold_(class_thresholds(camera_, detector.class_names())), motion_(gating.motion),
      events_(store, detector.class_names(), event_options(camera_id, camera_, class_threshold_),
              std::move(on_event)),
      sweeps_(std::max(1, tiling_.sweep_every)) {
  const std::vector<std::string>& names = detector.class_names();
  std::vector<int> wanted;
  for (const std::string& name : camera_.classes) {
    const int id = class_id_of(names, name);
    if (id < 0) throw Error("camera " + camera_.name + ": classes: the model has no class '" + name + "'");
    wanted.push_back(id);
  }
  float lowest = 1.0f;
  for (std::size_t id = 0; id < names.size(); ++id) {
    const bool used = wanted.empty() || std::find(wanted.begin(), wanted.end(), int(id)) != wanted.end();
    if (used) lowest = std::min(lowest, class_threshold_[id]);
  }
  lowest = std::clamp(lowest, 0.02f, 0.98f);
  // Classes that matter for gating: the event classes and the camera's own.
  gated_class_.assign(names.size(), !gating_.only_classes_that_matter);
  std::vector<int> matter = wanted;
  for (const std::string& name : camera_.events.classes)
    if (const int id = class_id_of(names, name); id >= 0) matter.push_back(id);
  if (matter.empty()) gated_class_.assign(names.size(), true);
  for (const int id : matter)
    gated_class_[static_cast<std::size_t>(id)] = true;
  detect_options_.nms.classes = wanted;
  detect_options_.nms.conf_threshold = 0.5f * lowest;
  tracker_options_ = tracker_options(camera_, lowest);
  tracker_ = track::ByteTracker(tracker_options_);
}

CameraPipeline::~CameraPipeline() { stop(); }

void CameraPipeline::stop() {
  if (stopped_) return;
  stopped_ = true;
  events_.stop();
}

void CameraPipeline::continue_from(CameraPipeline& previous) {
  if (previous.stopped_ || stopped_) return;
  motion_ = std::move(previous.motion_);
  processed_ = previous.processed_;
  const track::TrackerOptions& a = tracker_options_;
  const track::TrackerOptions& b = previous.tracker_options_;
  if (a.frame_rate == b.frame_rate && a.track_thresh == b.track_thresh && a.low_thresh == b.low_thresh) {
    tracker_ = std::move(previous.tracker_);
    best_score_ = std::move(previous.best_score_);
    events_.continue_from(previous.events_);
  }
  previous.stop(); // closes only what was not carried over
}

float CameraPipeline::threshold_of(int class_id) const {
  return class_id >= 0 && static_cast<std::size_t>(class_id) < class_threshold_.size()
             ? class_threshold_[static_cast<std::size_t>(class_id)]
             : static_cast<float>(camera_.score_threshold);
}

bool CameraPipeline::matters(int class_id) const {
  return class_id >= 0 && static_cast<std::size_t>(class_id) < gated_class_.size() &&
         gated_class_[static_cast<std::size_t>(class_id)];
}

double CameraPipeline::large_px(cv::Size frame) const {
  return tiling::full_frame_finds_px(frame, detector_.input_size(),
                                     tiled_->slice_options().reliable_input_px);
}

bool CameraPipeline::skip_still(const track::PredictedBox& p, int still_every) {
  // Still: its box stayed where it was when last visited (within a quarter of its size).
  const double size = std::max(p.box.width(), p.box.height());
  auto seen = still_seen_.find(p.id);
  const double cx = 0.5 * (p.box.x1 + p.box.x2), cy = 0.5 * (p.box.y1 + p.box.y2);
  const bool still =
      seen != still_seen_.end() && std::hypot(cx - seen->second.cx, cy - seen->second.cy) <= 0.25 * size;
  if (still && processed_ - seen->second.frame < still_every) return true;
  still_seen_[p.id] = {processed_, cx, cy};
  return false;
}

int CameraPipeline::still_every() const {
  return std::clamp(gating_.still_track_every, 1, std::max(1, tracker_.max_time_lost()));
}

void CameraPipeline::forget_dropped_tracks(std::unordered_map<int, int>& age_of) {
  for (const track::Track& t : tracker_.tracks())
    age_of[t.id] = t.age;
  std::erase_if(still_seen_, [&age_of](const auto& kv) { return !age_of.count(kv.first); });
}

tiling::SlicePlan CameraPipeline::pack_regions(const tiling::SlicePlan& full,
                                               const std::vector<tiling::Region>& regions, cv::Size frame,
                                               const tiling::RegionPlanOptions& options) const {
  const cv::Size input = detector_.input_size();
  tiling::PackOptions pack;
  pack.canvas = input;
  pack.scale = std::max(static_cast<double>(full.tiles.front().width()) / input.width,
                        static_cast<double>(full.tiles.front().height()) / input.height);
  pack.gap_px = gating_.pack_gap_px;
  pack.frame = frame;
  return tiling::plan_regions_packed(frame, full, regions, options, pack, gating_.pack_join_px);
}

tiling::SlicePlan CameraPipeline::gate_packed(const tiling::SlicePlan& full,
                                              const track::MotionResult& motion, cv::Size frame) {
  const int every = still_every();
  const int settled_age = std::max(camera_.events.confirm_m, 1);
  std::unordered_map<int, int> age_of;
  forget_dropped_tracks(age_of);

  // Every tracked object that matters gets a crop at the tiles' scale, large or small
  // (object size 1: no full-frame pass serves it); a settled still one every
  // still_every frames.
  std::vector<tiling::Region> regions;
  std::vector<cv::Rect> covered;
  for (const track::PredictedBox& p : tracker_.predicted_boxes()) {
    if (!matters(p.class_id)) continue;
    const cv::Rect rect = to_rect(p.box, gating_.predicted_padding, gating_.predicted_padding_px);
    covered.push_back(rect);
    if (every > 1 && age_of[p.id] >= settled_age && skip_still(p, every)) continue;
    regions.push_back({rect, 1.0});
  }
  // Motion blobs mostly inside a tracked object's crop are that object moving.
  for (const detect::BoxXYXY& r : motion.regions) {
    const cv::Rect rect = to_rect(r, 0.0, gating_.motion_padding_px);
    if (!half_inside_any(rect, covered)) regions.push_back({rect, 1.0});
  }
  tiling::RegionPlanOptions options;
  options.full_frame_finds_px = large_px(frame);
  return pack_regions(full, regions, frame, options);
}

tiling::SlicePlan CameraPipeline::gate(const tiling::SlicePlan& full, const track::MotionResult& motion,
                                       cv::Size frame) {
  // Each region carries the size of what is in it, so a large object (found by the
  // full-frame pass) does not pull in tiles; padding only widens where it must fit.
  const auto longer_side = [](const detect::BoxXYXY& b) { return std::max(b.width(), b.height()); };
  tiling::RegionPlanOptions options;
  options.full_frame_finds_px = large_px(frame);
  options.large_in_kept_tiles = gating_.large_in_kept_tiles;
  const auto is_large = [&](const detect::BoxXYXY& b) {
    return full.full_frame && options.full_frame_finds_px > 0 &&
           longer_side(b) >= options.full_frame_finds_px;
  };
  std::vector<cv::Rect> motion_rects;
  for (const detect::BoxXYXY& r : motion.regions)
    motion_rects.push_back(to_rect(r, 0.0, gating_.motion_padding_px));
  // A still track is visited every still_every frames; ByteTrack keeps a lost track for
  // max_time_lost frames, so it is never dropped in between.
  const int still_every = this->still_every();
  const int settled_age = std::max(camera_.events.confirm_m, 1); // confirmation window over
  std::unordered_map<int, int> age_of;
  forget_dropped_tracks(age_of);

  std::vector<tiling::Region> regions;
  std::vector<cv::Rect> skipped_still; // small still tracks not visited this frame
  std::vector<cv::Rect> large_tracks;  // predicted boxes the full-frame pass finds on its own
  for (const track::PredictedBox& p : tracker_.predicted_boxes()) {
    if (!matters(p.class_id)) continue;
    const cv::Rect rect = to_rect(p.box, gating_.predicted_padding, gating_.predicted_padding_px);
    if (is_large(p.box)) {
      large_tracks.push_back(rect);
      if (gating_.confirmation_tiles && age_of[p.id] < settled_age) {
        // Object size 1 px: no full-frame pass serves it, so a tile holds it.
        regions.push_back({rect, 1.0});
        continue;
      }
    } else if (still_every > 1 && age_of[p.id] >= settled_age && skip_still(p, still_every)) {
      skipped_still.push_back(rect);
      continue;
    }
    regions.push_back({rect, longer_side(p.box)});
  }
  // A walking person moves in pieces (legs, arms): small motion blobs inside the box of
  // a large tracked object are that object, which the full-frame pass already follows;
  // they would each pull in a tile. A blob at least half inside such a box is dropped.
  for (std::size_t i = 0; i < motion_rects.size(); ++i) {
    const cv::Rect& rect = motion_rects[i];
    if (!half_inside_any(rect, large_tracks) && !half_inside_any(rect, skipped_still))
      regions.push_back({rect, longer_side(motion.regions[i])});
  }
  if (gating_.packed_crops && !full.tiles.empty()) return pack_regions(full, regions, frame, options);
  return tiling::plan_regions(frame, full, regions, options);
}

std::function<bool(const detect::BoxXYXY&)>
CameraPipeline::looked_at(const tiling::SlicePlan& full, const tiling::SlicePlan& ran, cv::Size frame) const {
  if (ran.full_frame == full.full_frame && ran.tiles.size() == full.tiles.size() && ran.canvases.empty())
    return {}; // the whole plan
  const double large = large_px(frame);
  const bool full_frame_alone = full.tiles.empty();
  return [&ran, large, full_frame_alone](const detect::BoxXYXY& b) {
    // The full-frame pass looks at large objects (at all of them when it is the whole plan).
    if (ran.full_frame && (full_frame_alone || (large > 0 && std::max(b.width(), b.height()) >= large)))
      return true;
    // A tile looks at what lies mostly inside it.
    const double area = std::max(0.0, double(b.width())) * std::max(0.0, double(b.height()));
    const auto holds_most = [&](const tiling::TileRect& t) {
      const double w = std::min<double>(b.x2, t.x2) - std::max<double>(b.x1, t.x1);
      const double h = std::min<double>(b.y2, t.y2) - std::max<double>(b.y1, t.y1);
      return w > 0 && h > 0 && w * h >= 0.75 * area;
    };
    if (std::any_of(ran.tiles.begin(), ran.tiles.end(), holds_most)) return true;
    // So does a packed crop.
    return std::any_of(ran.canvases.begin(), ran.canvases.end(), [&](const tiling::PackedCanvas& c) {
      return std::any_of(c.placements.begin(), c.placements.end(),
                         [&](const tiling::Placement& p) { return holds_most(p.crop); });
    });
  };
}

ProcessedFrame CameraPipeline::process(const cv::Mat& frame_bgr, std::int64_t seq, Clock::time_point arrived,
                                       std::int64_t arrived_wall_ms) {
  if (stopped_) throw Error("camera " + camera_.name + ": the pipeline is stopped");
  if (frame_bgr.empty()) throw Error("camera " + camera_.name + ": empty frame " + std::to_string(seq));
  const cv::Size size = frame_bgr.size();
  if (zones_.frame_size() != size) {
    // A new stream resolution (the camera was reconfigured): boxes of the old one mean
    // nothing here, so tracks start over (their events close on this frame).
    if (zones_.frame_size() != cv::Size()) {
      tracker_ = track::ByteTracker(tracker_options_);
      best_score_.clear();
    }
    zones_ = ZoneMap(camera_.zones, camera_.masks, size);
  }

  ProcessedFrame out;
  const track::MotionResult motion = motion_.update(frame_bgr);
  out.motion_regions = static_cast<int>(motion.regions.size());
  const tiling::SlicePlan full = tiled_->plan(size);
  out.full_plan_views = static_cast<int>(full.views());
  const bool whole = !tiling_.motion_gating || motion.initialised || motion.global_change;
  const auto gated = [&] {
    const bool all_packed = gating_.packed_crops && gating_.pack_large_tracks && !full.tiles.empty();
    return all_packed ? gate_packed(full, motion, size) : gate(full, motion, size);
  };
  const SweepStep step = sweeps_.step(full, whole ? full : gated(), whole);
  processed_++;
  const tiling::SlicePlan& plan = step.plan;
  const bool sweep = step.whole || step.swept > 0;

  const Clock::time_point asked = Clock::now();
  Clock::time_point started;
  tiling::TiledResult detected = detector_.use([&](detect::Detector&) {
    started = Clock::now();
    return tiled_->detect(frame_bgr, detect_options_, plan);
  });
  const Clock::time_point finished = Clock::now();
  out.wait_ms = ms_between(asked, started);
  out.inference_ms = ms_between(started, finished);
  out.views = static_cast<int>(plan.views());
  for (const tiling::PackedCanvas& c : plan.canvases)
    for (const tiling::Placement& p : c.placements)
      out.crops.push_back(p.crop);

  std::vector<detect::Detection>& detections = detected.detections;
  zones_.remove_masked(detections);
  out.detections = static_cast<int>(detections.size());
  const std::vector<track::Track> matched = tracker_.update(detections, looked_at(full, plan, size));

  // Best score per held track (threshold rule above); tracks ByteTracker dropped go.
  const std::vector<track::Track>& held = tracker_.tracks();
  std::erase_if(best_score_, [&held](const auto& kv) {
    return std::none_of(held.begin(), held.end(), [&kv](const track::Track& t) { return t.id == kv.first; });
  });
  for (const track::Track& t : matched) {
    float& best = best_score_[t.id];
    best = std::max(best, t.score);
  }
  events_.update(held, zones_, frame_bgr, arrived_wall_ms);

  FrameResult& r = out.result;
  r.camera_id = camera_id_;
  r.camera_name = camera_.name;
  r.seq = seq;
  r.arrived_ms = arrived_wall_ms;
  r.width = size.width;
  r.height = size.height;
  const std::vector<std::string>& names = detector_.class_names();
  for (const track::Track& t : matched) {
    if (best_score_[t.id] < threshold_of(t.class_id)) continue;
    TrackedObject o;
    o.track_id = t.id;
    o.class_id = t.class_id;
    o.label = t.class_id >= 0 && static_cast<std::size_t>(t.class_id) < names.size()
                  ? names[static_cast<std::size_t>(t.class_id)]
                  : "class" + std::to_string(t.class_id);
    o.score = t.score;
    o.box = t.detection.box;
    r.objects.push_back(std::move(o));
  }
  std::sort(r.objects.begin(), r.objects.end(),
            [](const TrackedObject& a, const TrackedObject& b) { return a.track_id < b.track_id; });
  r.tiles = plan.tiles;
  r.full_frame = plan.full_frame;
  r.sweep = sweep;
  const Clock::time_point done = Clock::now();
  r.latency_ms = ms_between(arrived, done);
  r.done_ms = arrived_wall_ms + static_cast<std::int64_t>(std::llround(r.latency_ms));
  return out;
}

} // namespace tilescope::pipeline
