// Which events become alerts: the rules' conditions evaluated over an event's life.
//
// A rule fires at most once per event (AlertType::kNew), as soon as all of these hold:
// camera and class in its lists, the best score >= min_score, the zone condition, the
// duration (min_duration_s since the event started) or the track seen in n of the
// camera's last m processed frames, and the local time inside a schedule window.
// Conditions that can still become true (a higher score, a zone entered, time passing)
// are evaluated again on every update and on tick(); the event ending is the last
// chance. Once everything holds, cooldowns decide: a rule that fired for the same
// camera (cooldown_per_camera_s) or the same track (cooldown_per_track_s) too recently
// suppresses the alert for this event for good — no late alert after the cooldown.
// With notify_on_end, the end of an event the rule fired for fires again (kEnd).
//
// Zones: kInside holds once the event's zones include one of the rule's zones; kEnter
// only once one of them is added after the event was opened (an object first seen
// already inside, a parked car, does not enter).
//
// Not thread-safe: AlertService serialises the calls. Times are wall-clock ms from the
// caller (an injectable clock); schedules read them in the local time zone (TZ).
#pragma once

#include "tilescope/alerts/alert_payload.h"
#include "tilescope/alerts/alerts_config.h"
#include "tilescope/alerts/outbox.h"
#include "tilescope/store/store.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace tilescope::alerts {

struct Firing {
  AlertType type = AlertType::kNew;
  Rule rule;
  store::EventRecord event;  // as of the firing
  std::string snapshot_file; // absolute path; "" : none
  std::int64_t fired_ms = 0; // the engine's time of the firing (cooldowns count from it)
  // The frame whose event notice (opened / updated) made the rule fire: its decode time
  // (the event's updated_ms). nullopt when time passing (tick), observe_frame or the
  // event's end did: no frame of the event is the trigger then.
  std::optional<std::int64_t> frame_ms;
};

// True when local time `now_ms` falls inside one of `schedule`'s windows (or it is empty).
bool in_schedule(const std::vector<TimeWindow>& schedule, std::int64_t now_ms);

class RuleEngine {
public:
  // Replaces the rules; state (cooldowns, events waiting) of rules whose name is kept stays.
  void set_rules(std::vector<Rule> rules);
  const std::vector<Rule>& rules() const { return rules_; }
  // Per-camera cooldowns from before a restart (marks of rules not present are
  // ignored; a later mark of the same rule and camera wins). Per-track cooldowns are
  // not restored: a new process's tracker numbers its tracks from 1 again, so a stored
  // track id would silence a different object.
  void restore_cooldowns(const std::vector<CameraCooldown>& marks);

  std::vector<Firing> on_event(EventKind kind, const store::EventRecord& event,
                               const std::string& snapshot_file, std::int64_t now_ms);
  // The tracks matched in one processed frame of `camera` (for confirm {n, m}). A
  // camera never observed counts as confirmed: the pipeline confirmed the event.
  std::vector<Firing> observe_frame(const std::string& camera, const std::vector<std::int64_t>& track_ids,
                                    std::int64_t now_ms);
  // Waiting conditions that depend on time (duration, schedule); forgets events left
  // open for more than a day (their end never came).
  std::vector<Firing> tick(std::int64_t now_ms);

  std::size_t waiting_events() const { return events_.size(); }

private:
  struct EventState {
    store::EventRecord event;
    std::string snapshot_file;
    std::vector<std::string> zones_at_open;
    bool fired = false;
    bool suppressed = false;
    std::int64_t last_seen_ms = 0;
  };
  using EventKey = std::pair<std::string, std::int64_t>;               // rule, event id
  using TrackKey = std::tuple<std::string, std::string, std::int64_t>; // rule, camera, track

  bool applies(const Rule& rule, const store::EventRecord& event) const;
  // Fires (appending to `out`) when every condition holds at `now_ms`.
  void evaluate(const Rule& rule, EventState& state, std::int64_t now_ms, std::int64_t elapsed_ms,
                std::vector<Firing>& out);
  bool confirmed(const Rule& rule, const store::EventRecord& event) const;
  const Rule* rule_named(const std::string& name) const;

  std::vector<Rule> rules_;
  std::map<EventKey, EventState> events_;
  std::map<std::pair<std::string, std::string>, std::int64_t> camera_fired_ms_; // rule, camera
  std::map<TrackKey, std::int64_t> track_fired_ms_;
  std::map<std::string, std::deque<std::vector<std::int64_t>>> frames_; // camera -> newest last
};

} // namespace tilescope::alerts
