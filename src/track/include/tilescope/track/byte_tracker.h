// ByteTrack multi-object tracking (Zhang et al., "ByteTrack: Multi-Object Tracking by
// Associating Every Detection Box", ECCV 2022), following the reference implementation
// (yolox/tracker/byte_tracker.py) and its defaults.
//
// Per frame:
//   1. split detections by score: high (>= track_thresh), low (low_thresh, track_thresh);
//   2. high detections vs confirmed tracks, tracked and lost, at their Kalman-predicted
//      boxes; cost 1 - IoU (times the detection score when fuse_score), gate match_thresh;
//   3. low detections ("BYTE") vs the still unmatched tracks that were tracked (not lost)
//      last frame, cost 1 - IoU, gate low_match_thresh; tracks still unmatched become lost;
//   4. unconfirmed tracks (seen once) vs the remaining high detections, gate
//      unconfirmed_match_thresh; a match confirms the track, no match removes it;
//   5. remaining high detections with score >= track_thresh + new_track_margin start
//      unconfirmed tracks (confirmed at once on the tracker's first frame only);
//   6. lost tracks older than track_buffer * frame_rate / 30 frames are dropped.
//
// Frames that look at part of the scene only (gated live cameras): update() takes which
// boxes this frame's detections could have found (`looked_at`). A tracked track left
// unmatched where nobody looked stays tracked ("coasting": predicted, not lost) for up
// to max_time_lost frames, so the low-score second association can still take it next
// time it is looked at; without that, every frame that skips an object would make its
// track lost, and a lost track in a crowd, seen again only at a low score, ends and
// comes back under a new id.
//
// Ids: a track gets its id when it is confirmed, counting up from 1, so the ids a caller
// sees have no gaps (the reference numbers every candidate, including the false
// positives that never get confirmed). A track keeps its id while lost and when re-found.
#pragma once

#include "tilescope/detect/detection.h"
#include "tilescope/track/kalman_filter.h"

#include <functional>
#include <vector>

namespace tilescope::track {

struct TrackerOptions {
  float track_thresh = 0.5f;     // high / low detection split
  float low_thresh = 0.1f;       // detections at or below this are ignored
  float new_track_margin = 0.1f; // a new track needs score >= track_thresh + this
  float match_thresh = 0.8f;     // first association gate on 1 - IoU (fused)
  float low_match_thresh = 0.5f; // second association gate on 1 - IoU
  float unconfirmed_match_thresh = 0.7f;
  int track_buffer = 30;                // frames a lost track is kept, at 30 fps
  double frame_rate = 30;               // scales track_buffer
  bool fuse_score = true;               // cost 1 - IoU * score in the high-score associations
  bool per_class = true;                // match detections only to tracks of the same class
  float duplicate_iou_distance = 0.15f; // a tracked and a lost track closer than this are one object
};

enum class TrackState { kTracked, kLost };

struct Track {
  int id = 0; // > 0 once confirmed; 0 for a candidate seen once
  // Box = the Kalman-corrected box in frame pixels (the detection's box on the first
  // frame, the predicted box while lost); score and class of the last matched detection.
  detect::Detection detection;
  int class_id = 0;
  float score = 0;
  int age = 0;                 // frames since the track started (0 on its first frame)
  int hits = 0;                // detections matched to it, the first one included
  int frames_since_update = 0; // 0 when matched this frame
  bool confirmed = false;
  TrackState state = TrackState::kTracked;
};

// Where a confirmed track is expected in the next frame.
struct PredictedBox {
  int id = 0;
  int class_id = 0;
  detect::BoxXYXY box; // frame pixels
  bool lost = false;   // not matched in the latest frame
};

class ByteTracker {
public:
  explicit ByteTracker(TrackerOptions options = {});

  // Feeds one frame's detections (frame pixels). Returns the confirmed tracks matched
  // in this frame (the reference's output_stracks), in internal order.
  // `looked_at(box)`: whether this frame's detections covered a track at that predicted
  // box (empty: everywhere, the reference behaviour).
  std::vector<Track> update(const std::vector<detect::Detection>& frame_detections,
                            const std::function<bool(const detect::BoxXYXY&)>& looked_at = {});

  // Every track held: tracked (confirmed or candidate) and lost.
  const std::vector<Track>& tracks() const { return public_tracks_; }
  // Boxes of confirmed tracks (tracked and lost) one frame ahead, for tile planning.
  std::vector<PredictedBox> predicted_boxes() const;

  int frame_count() const { return frame_id_; }
  // Frames a lost track survives: int(frame_rate / 30 * track_buffer).
  int max_time_lost() const { return max_time_lost_; }

private:
  struct TrackData {
    Track track;
    KalmanState kalman;
    int start_frame = 0;
    int end_frame = 0; // last frame with a matched detection
  };

  void apply_match(TrackData& t, const detect::Detection& det);
  void confirm(TrackData& t);
  void refresh_public();

  TrackerOptions options_;
  KalmanFilter kalman_;
  int max_time_lost_ = 30;
  int frame_id_ = 0;
  int next_id_ = 1;
  std::vector<TrackData> tracks_;
  std::vector<Track> public_tracks_;
};

} // namespace tilescope::track
