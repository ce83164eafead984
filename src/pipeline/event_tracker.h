// Events of one camera from its tracks: open, update, close (issue #5, "Events").
//
//   EventTracker events(store, class_names, options, on_event);
//   per frame:  tracker.update(dets);  events.update(tracker.tracks(), zones, frame, now_ms);
//   at the end: events.stop();
//
// Per confirmed ByteTrack track (id > 0) of an event class (EventSettings::classes):
//   - N-of-M confirmation (track::Confirmation) over the processed frames: seen = the
//     track matched a detection in this frame;
//   - its best score and box so far, and the zones its box's bottom centre entered, in
//     order of entry (zones.h), recorded from its first frame;
//   - once confirmed with a best score >= min_score (and >= its class's threshold): an
//     event opens (store::open_event,
//     kOpened) with the snapshot of the best frame so far (the frame with the box drawn);
//   - while open: a zone entered is written and notified at once (kUpdated); a better
//     score is written and notified at most every update_interval_ms; the snapshot is
//     re-encoded when the best score beats the snapshot's by more than snapshot_margin,
//     at most every snapshot_interval_ms (a JPEG costs ~10 ms of a 2-core box);
//   - when the track is gone from ByteTracker (it was lost for too long): the snapshot is
//     brought up to the best frame, and the event closes (close_event, kClosed) with the
//     time the object was last seen as its end.
// stop() closes every open event the same way. Times are Unix epoch ms of the frames.
//
// Store failures throw (the camera loop logs them and goes on; a failed open is retried
// on the next frame); a snapshot that cannot be written is logged and the event goes on
// without it. Not thread-safe: the camera thread owns it.
#pragma once

#include "tilescope/config/config.h"
#include "tilescope/pipeline/system.h"
#include "tilescope/store/store.h"
#include "tilescope/track/byte_tracker.h"
#include "tilescope/track/confirmation.h"
#include "zones.h"

#include <cstdint>
#include <functional>
#include <map>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace tilescope::pipeline {

struct EventTrackerOptions {
  std::int64_t camera_id = 0;
  std::string camera_name;
  config::EventSettings settings;
  // By class id: the camera's detection threshold, which an event's best score must reach
  // too (so no event is about an object the live view never shows). Empty: none.
  std::vector<float> class_thresholds;
  double snapshot_margin = 0.02;            // a new snapshot needs a score this much better
  std::int64_t snapshot_interval_ms = 1000; // at most one snapshot encode per event per interval
  std::int64_t update_interval_ms = 1000;   // score updates written / notified at most this often
};

class EventTracker {
public:
  // `store` must outlive this object. Class names are the model's (ids index them).
  // Throws Error for confirm_n / confirm_m out of range (1 <= N <= M <= 64).
  EventTracker(store::Store& store, std::vector<std::string> class_names, EventTrackerOptions options,
               std::function<void(const EventNotice&)> on_event);
  ~EventTracker(); // stop()
  EventTracker(const EventTracker&) = delete;
  EventTracker& operator=(const EventTracker&) = delete;

  // One processed frame: `tracks` = ByteTracker::tracks() after update() (every track
  // held), `frame_bgr` the frame they were found in (read for snapshots, never kept
  // without a copy), `now_ms` its time.
  void update(const std::vector<track::Track>& tracks, const ZoneMap& zones, const cv::Mat& frame_bgr,
              std::int64_t now_ms);
  // Closes every open event and forgets every track; a store failure is logged and
  // the other events still close. Idempotent.
  void stop();
  // Takes over `previous`'s tracks and open events (the camera's settings changed, not its
  // stream): they go on under this tracker's options, with no close and no reopen; an open
  // event whose class is no longer an event class closes now. `previous` is left empty
  // (its stop() closes nothing). Both must track the same camera with the same model.
  void continue_from(EventTracker& previous);

  std::int64_t events_opened() const { return events_opened_; }
  int open_events() const;
  // The open event of a track id (tests, the live view); nullptr when none.
  const store::EventRecord* open_event_of(int track_id) const;

private:
  struct Candidate {
    cv::Mat frame; // shared copy of the frame at the best score (one copy per frame)
    detect::BoxXYXY box;
    float score = 0;
  };
  struct Tracked {
    store::EventRecord record; // id 0 until the event opens
    std::int64_t last_seen_ms = 0;
    Candidate best;               // the best frame seen; frame released once encoded
    float snapshot_score = 0;     // score of the snapshot written (0: none)
    std::int64_t snapshot_ms = 0; // when it was written
    std::int64_t notified_ms = 0; // last kOpened / kUpdated
    bool dirty = false;           // changed since the last write
  };

  bool is_event_class(int class_id) const;
  double min_score_of(int class_id) const;
  void open(Tracked& t, std::int64_t now_ms);
  void write_snapshot(Tracked& t, std::int64_t now_ms);
  void publish(Tracked& t, EventNotice::Kind kind, std::int64_t now_ms);
  void close(Tracked& t);

  store::Store& store_;
  std::vector<std::string> class_names_;
  EventTrackerOptions options_;
  std::function<void(const EventNotice&)> on_event_;
  std::vector<bool> event_class_; // by class id
  track::Confirmation confirmation_;
  std::map<int, Tracked> tracked_; // by track id: ordered, so closes come in a stable order
  std::int64_t events_opened_ = 0;
};

} // namespace tilescope::pipeline
