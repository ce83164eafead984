// Events from tracks (event_tracker.h has the lifecycle).
#include "event_tracker.h"

#include "annotate_frame.h"
#include "tilescope/detect/annotate.h"

#include <algorithm>
#include <set>
#include <spdlog/spdlog.h>

namespace tilescope::pipeline {
namespace {

store::Box to_store_box(const detect::BoxXYXY& b) { return {b.x1, b.y1, b.x2, b.y2}; }

} // namespace

EventTracker::EventTracker(store::Store& store, std::vector<std::string> class_names,
                           EventTrackerOptions options, std::function<void(const EventNotice&)> on_event)
    : store_(store), class_names_(std::move(class_names)), options_(std::move(options)),
      on_event_(std::move(on_event)), event_class_(class_names_.size(), false),
      confirmation_({options_.settings.confirm_n, options_.settings.confirm_m}) {
  for (const std::string& name : options_.settings.classes) {
    const auto it = std::find(class_names_.begin(), class_names_.end(), name);
    if (it != class_names_.end()) event_class_[static_cast<std::size_t>(it - class_names_.begin())] = true;
  }
}

EventTracker::~EventTracker() { stop(); }

bool EventTracker::is_event_class(int class_id) const {
  return class_id >= 0 && static_cast<std::size_t>(class_id) < event_class_.size() &&
         event_class_[static_cast<std::size_t>(class_id)];
}

double EventTracker::min_score_of(int class_id) const {
  const auto c = static_cast<std::size_t>(class_id);
  const double threshold = c < options_.class_thresholds.size() ? options_.class_thresholds[c] : 0.0;
  return std::max(options_.settings.min_score, threshold);
}

int EventTracker::open_events() const {
  return static_cast<int>(std::count_if(tracked_.begin(), tracked_.end(),
                                        [](const auto& kv) { return kv.second.record.id > 0; }));
}

const store::EventRecord* EventTracker::open_event_of(int track_id) const {
  const auto it = tracked_.find(track_id);
  return it != tracked_.end() && it->second.record.id > 0 ? &it->second.record : nullptr;
}

void EventTracker::update(const std::vector<track::Track>& tracks, const ZoneMap& zones,
                          const cv::Mat& frame_bgr, std::int64_t now_ms) {
  cv::Mat frame_copy; // made once, on the first better score of this frame, shared by every track
  std::set<int> present;
  for (const track::Track& t : tracks) {
    if (t.id <= 0 || !is_event_class(t.class_id)) continue;
    present.insert(t.id);
    auto [it, inserted] = tracked_.try_emplace(t.id);
    Tracked& s = it->second;
    if (inserted) {
      store::EventRecord& r = s.record;
      r.camera_id = options_.camera_id;
      r.camera_name = options_.camera_name;
      r.class_id = t.class_id;
      r.label = class_names_[static_cast<std::size_t>(t.class_id)];
      r.track_id = t.id;
      r.start_ms = now_ms;
      r.score = 0;
    }
    const bool seen = t.state == track::TrackState::kTracked && t.frames_since_update == 0;
    const bool confirmed = confirmation_.observe(t.id, seen);
    bool zone_entered = false;
    if (seen) {
      s.last_seen_ms = now_ms;
      const detect::BoxXYXY& box = t.detection.box;
      if (t.score > s.record.score) {
        s.record.score = t.score;
        s.record.box = to_store_box(box);
        s.record.frame_width = frame_bgr.cols;
        s.record.frame_height = frame_bgr.rows;
        if (frame_copy.empty()) frame_copy = frame_bgr.clone();
        s.best = {frame_copy, box, t.score};
        s.dirty = true;
      }
      for (std::string& zone : zones.zones_of(box)) {
        if (std::find(s.record.zones.begin(), s.record.zones.end(), zone) != s.record.zones.end()) continue;
        s.record.zones.push_back(std::move(zone));
        zone_entered = true;
        s.dirty = true;
      }
    }
    if (s.record.id == 0) {
      if (confirmed && s.record.score >= min_score_of(t.class_id)) open(s, now_ms);
      continue;
    }
    if (!s.best.frame.empty() && s.best.score > s.snapshot_score + options_.snapshot_margin &&
        now_ms - s.snapshot_ms >= options_.snapshot_interval_ms) {
      write_snapshot(s, now_ms);
    }
    if (zone_entered || (s.dirty && now_ms - s.notified_ms >= options_.update_interval_ms)) {
      publish(s, EventNotice::Kind::kUpdated, now_ms);
    }
  }

  // Tracks ByteTracker no longer holds have ended.
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    if (present.contains(it->first)) {
      ++it;
      continue;
    }
    confirmation_.forget(it->first);
    Tracked ended = std::move(it->second);
    it = tracked_.erase(it);
    close(ended);
  }
}

void EventTracker::stop() {
  std::map<int, Tracked> tracked;
  tracked.swap(tracked_);
  confirmation_.clear();
  for (auto& [id, t] : tracked) {
    try {
      close(t);
    } catch (const std::exception& e) {
      spdlog::error("camera {}: event {} not closed: {}", options_.camera_name, t.record.id, e.what());
    }
  }
}

void EventTracker::continue_from(EventTracker& previous) {
  std::map<int, Tracked> tracked;
  tracked.swap(previous.tracked_);
  events_opened_ += previous.events_opened_;
  previous.events_opened_ = 0;
  // The N-of-M history of tracks not yet confirmed starts over when N or M changed.
  const bool same_rule = confirmation_.options().required == previous.confirmation_.options().required &&
                         confirmation_.options().window == previous.confirmation_.options().window;
  if (same_rule) std::swap(confirmation_, previous.confirmation_);
  previous.confirmation_.clear();
  for (auto& [id, t] : tracked) {
    if (!is_event_class(t.record.class_id)) {
      close(t);
      continue;
    }
    t.record.camera_name = options_.camera_name;
    tracked_.emplace(id, std::move(t)); // an open event needs no confirmation again
  }
}

void EventTracker::open(Tracked& t, std::int64_t now_ms) {
  t.record.updated_ms = now_ms;
  t.record.end_ms.reset();
  t.record.snapshot.clear();
  t.record.id = store_.open_event(t.record); // throws: tried again next frame
  events_opened_++;
  spdlog::info("camera {}: event {} opened: {} #{} score {:.2f}", options_.camera_name, t.record.id,
               t.record.label, t.record.track_id, t.record.score);
  write_snapshot(t, now_ms);
  publish(t, EventNotice::Kind::kOpened, now_ms);
}

void EventTracker::write_snapshot(Tracked& t, std::int64_t now_ms) {
  if (t.best.frame.empty()) return;
  t.snapshot_ms = now_ms; // also on failure: no retry on every frame
  try {
    cv::Mat picture = t.best.frame.clone(); // the frame copy may be shared with other tracks
    detect::draw_labelled_box(picture, t.best.box, detect::class_colour(t.record.class_id),
                              object_label(t.record.label, t.record.track_id, t.best.score));
    t.record.snapshot = store_.write_snapshot(t.record.id, encode_jpeg(picture));
    t.snapshot_score = t.best.score;
    t.best.frame.release();
    t.dirty = true;
  } catch (const std::exception& e) {
    spdlog::warn("camera {}: event {}: snapshot not written: {}", options_.camera_name, t.record.id,
                 e.what());
  }
}

void EventTracker::publish(Tracked& t, EventNotice::Kind kind, std::int64_t now_ms) {
  t.record.updated_ms = now_ms;
  if (kind != EventNotice::Kind::kOpened || t.dirty) store_.update_event(t.record);
  t.dirty = false;
  t.notified_ms = now_ms;
  if (on_event_) on_event_({kind, t.record});
}

void EventTracker::close(Tracked& t) {
  if (t.record.id == 0) return; // never opened
  if (!t.best.frame.empty() && t.best.score > t.snapshot_score) write_snapshot(t, t.last_seen_ms);
  t.record.end_ms = t.last_seen_ms;
  t.record.updated_ms = t.last_seen_ms;
  if (t.dirty) store_.update_event(t.record);
  store_.close_event(t.record.id, t.last_seen_ms);
  spdlog::info("camera {}: event {} closed: {} #{} best {:.2f}, zones {}", options_.camera_name, t.record.id,
               t.record.label, t.record.track_id, t.record.score, t.record.zones.size());
  if (on_event_) on_event_({EventNotice::Kind::kClosed, t.record});
}

} // namespace tilescope::pipeline
