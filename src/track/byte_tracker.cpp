#include "tilescope/track/byte_tracker.h"

#include "tilescope/core/error.h"
#include "tilescope/track/linear_assignment.h"

#include <cmath>
#include <string>

namespace tilescope::track {

namespace {

// Costs are in [0, 1]; a pair of different classes costs more than any gate.
constexpr double kGatedCost = 1e3;

bool usable(const detect::Detection& d) {
  return std::isfinite(d.box.x1) && std::isfinite(d.box.y1) && std::isfinite(d.box.x2) &&
         std::isfinite(d.box.y2) && std::isfinite(d.score) && d.box.width() > 0 && d.box.height() > 0;
}

} // namespace

ByteTracker::ByteTracker(TrackerOptions options) : options_(options) {
  if (options_.frame_rate <= 0 || options_.track_buffer < 0)
    throw Error("ByteTracker: frame_rate must be > 0 and track_buffer >= 0 (got " +
                std::to_string(options_.frame_rate) + ", " + std::to_string(options_.track_buffer) + ")");
  max_time_lost_ = static_cast<int>(options_.frame_rate / 30.0 * options_.track_buffer);
}

void ByteTracker::apply_match(TrackData& t, const detect::Detection& det) {
  t.kalman = kalman_.update(t.kalman, box_to_xyah(det.box));
  t.end_frame = frame_id_;
  t.track.hits += 1;
  t.track.score = det.score;
  t.track.class_id = det.class_id;
  t.track.state = TrackState::kTracked;
}

void ByteTracker::confirm(TrackData& t) {
  if (!t.track.confirmed) {
    t.track.confirmed = true;
    t.track.id = next_id_++;
  }
}

std::vector<Track> ByteTracker::update(const std::vector<detect::Detection>& frame_detections,
                                       const std::function<bool(const detect::BoxXYXY&)>& looked_at) {
  ++frame_id_;
  std::vector<detect::Detection> high, low;
  for (const detect::Detection& d : frame_detections) {
    if (!usable(d) || d.score <= options_.low_thresh) continue;
    (d.score >= options_.track_thresh ? high : low).push_back(d);
  }

  // Cost of pairing tracks with detections: 1 - IoU, or 1 - IoU * score when fused.
  auto costs = [&](const std::vector<int>& track_indices, const std::vector<detect::Detection>& dets,
                   const std::vector<int>& det_indices, bool fuse) {
    CostMatrix cost(static_cast<int>(track_indices.size()), static_cast<int>(det_indices.size()));
    for (int r = 0; r < cost.rows(); ++r) {
      const TrackData& t = tracks_[track_indices[r]];
      const detect::BoxXYXY box = state_box(t.kalman);
      for (int c = 0; c < cost.cols(); ++c) {
        const detect::Detection& d = dets[det_indices[c]];
        if (options_.per_class && d.class_id != t.track.class_id) {
          cost.at(r, c) = kGatedCost;
          continue;
        }
        const double similarity = detect::iou(box, d.box) * (fuse ? d.score : 1.0);
        cost.at(r, c) = 1.0 - similarity;
      }
    }
    return cost;
  };
  auto all = [](size_t n) {
    std::vector<int> v(n);
    for (size_t i = 0; i < n; ++i)
      v[i] = static_cast<int>(i);
    return v;
  };

  // Step 1: confirmed tracks (tracked and lost) form the pool; candidates wait.
  std::vector<int> pool, unconfirmed;
  for (int i = 0; i < static_cast<int>(tracks_.size()); ++i)
    (tracks_[i].track.confirmed ? pool : unconfirmed).push_back(i);
  for (int i : pool) {
    TrackData& t = tracks_[i];
    // A lost track keeps drifting at its velocity but stops growing or shrinking
    // (the reference zeroes the height velocity while not tracked).
    if (t.track.state != TrackState::kTracked) t.kalman.mean[7] = 0;
    t.kalman = kalman_.predict(t.kalman);
  }
  // As in the reference, candidates are not predicted: their velocity is still zero, so
  // only their covariance would change.

  // Step 2: high-score detections vs the pool.
  const std::vector<int> high_all = all(high.size());
  const GatedAssignment first =
      assign_with_threshold(costs(pool, high, high_all, options_.fuse_score), options_.match_thresh);
  for (auto [r, c] : first.matches)
    apply_match(tracks_[pool[r]], high[c]);

  // Step 3: low-score detections vs pool tracks that were tracked in the last frame.
  std::vector<int> remaining_tracked;
  for (int r : first.unmatched_rows)
    if (tracks_[pool[r]].track.state == TrackState::kTracked) remaining_tracked.push_back(pool[r]);
  const GatedAssignment second =
      assign_with_threshold(costs(remaining_tracked, low, all(low.size()), false), options_.low_match_thresh);
  for (auto [r, c] : second.matches)
    apply_match(tracks_[remaining_tracked[r]], low[c]);
  for (int r : second.unmatched_rows) {
    TrackData& t = tracks_[remaining_tracked[r]];
    const bool coasting =
        looked_at && frame_id_ - t.end_frame <= max_time_lost_ && !looked_at(state_box(t.kalman));
    if (!coasting) t.track.state = TrackState::kLost;
  }

  // Step 4: candidates vs the high-score detections nobody took.
  std::vector<int> left_high;
  for (int c : first.unmatched_cols)
    left_high.push_back(high_all[c]);
  const GatedAssignment third = assign_with_threshold(
      costs(unconfirmed, high, left_high, options_.fuse_score), options_.unconfirmed_match_thresh);
  std::vector<char> remove(tracks_.size(), 0);
  for (auto [r, c] : third.matches) {
    apply_match(tracks_[unconfirmed[r]], high[left_high[c]]);
    confirm(tracks_[unconfirmed[r]]);
  }
  for (int r : third.unmatched_rows)
    remove[unconfirmed[r]] = 1;

  // Step 6 (before new tracks, which are never stale): drop tracks lost too long.
  for (size_t i = 0; i < tracks_.size(); ++i)
    if (tracks_[i].track.state == TrackState::kLost && frame_id_ - tracks_[i].end_frame > max_time_lost_)
      remove[i] = 1;

  // A tracked and a lost track on the same spot are one object seen twice: keep the
  // one followed for longer (the reference's remove_duplicate_stracks, which compares
  // end_frame - start_frame, so a re-detected object keeps its older id).
  for (size_t p = 0; p < tracks_.size(); ++p) {
    if (remove[p] || tracks_[p].track.state != TrackState::kTracked) continue;
    for (size_t q = 0; q < tracks_.size(); ++q) {
      if (remove[q] || remove[p] || tracks_[q].track.state != TrackState::kLost) continue;
      // Per-class tracking: a box of another class on the same spot is another object.
      if (options_.per_class && tracks_[p].track.class_id != tracks_[q].track.class_id) continue;
      const double distance = 1.0 - detect::iou(state_box(tracks_[p].kalman), state_box(tracks_[q].kalman));
      if (distance >= options_.duplicate_iou_distance) continue;
      const int time_p = tracks_[p].end_frame - tracks_[p].start_frame;
      const int time_q = tracks_[q].end_frame - tracks_[q].start_frame;
      remove[time_p > time_q ? q : p] = 1;
    }
  }

  std::vector<TrackData> kept;
  kept.reserve(tracks_.size() + third.unmatched_cols.size());
  for (size_t i = 0; i < tracks_.size(); ++i)
    if (!remove[i]) kept.push_back(std::move(tracks_[i]));
  tracks_ = std::move(kept);

  // Step 5: new candidates from confident leftovers.
  const float det_thresh = options_.track_thresh + options_.new_track_margin;
  for (int c : third.unmatched_cols) {
    const detect::Detection& d = high[left_high[c]];
    if (d.score < det_thresh) continue;
    TrackData t;
    t.kalman = kalman_.initiate(box_to_xyah(d.box));
    t.start_frame = t.end_frame = frame_id_;
    t.track.hits = 1;
    t.track.score = d.score;
    t.track.class_id = d.class_id;
    t.track.state = TrackState::kTracked;
    // With no previous frame there is nothing to confirm against: the reference
    // confirms the first frame's tracks at once.
    if (frame_id_ == 1) confirm(t);
    tracks_.push_back(std::move(t));
  }

  refresh_public();
  std::vector<Track> out;
  for (const Track& t : public_tracks_)
    if (t.confirmed && t.state == TrackState::kTracked && t.frames_since_update == 0) out.push_back(t);
  return out;
}

void ByteTracker::refresh_public() {
  public_tracks_.clear();
  for (TrackData& t : tracks_) {
    t.track.age = frame_id_ - t.start_frame;
    t.track.frames_since_update = frame_id_ - t.end_frame;
    t.track.detection = {state_box(t.kalman), t.track.score, t.track.class_id};
    public_tracks_.push_back(t.track);
  }
}

std::vector<PredictedBox> ByteTracker::predicted_boxes() const {
  std::vector<PredictedBox> out;
  for (const TrackData& t : tracks_) {
    if (!t.track.confirmed) continue;
    KalmanState next = t.kalman;
    const bool lost = t.track.state == TrackState::kLost;
    if (lost) next.mean[7] = 0;
    next = kalman_.predict(next);
    out.push_back({t.track.id, t.track.class_id, state_box(next), lost});
  }
  return out;
}

} // namespace tilescope::track
