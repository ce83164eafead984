#include "rule_engine.h"

#include <algorithm>
#include <ctime>

namespace tilescope::alerts {

namespace {

constexpr std::int64_t kForgetAfterMs = 24 * 3600 * 1000; // an event whose end never came
constexpr std::size_t kMaxFrames = 100;                   // Confirm::m is at most 100

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool has_day(const TimeWindow& window, int monday_based_day) {
  return (window.days >> monday_based_day) & 1u;
}

} // namespace

bool in_schedule(const std::vector<TimeWindow>& schedule, std::int64_t now_ms) {
  if (schedule.empty()) return true;
  const std::time_t seconds = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  const int today = (tm.tm_wday + 6) % 7; // tm_wday: 0 is Sunday
  const int yesterday = (today + 6) % 7;
  const int minute = tm.tm_hour * 60 + tm.tm_min;
  for (const TimeWindow& window : schedule) {
    if (window.to_min > window.from_min) {
      if (has_day(window, today) && minute >= window.from_min && minute < window.to_min) return true;
      continue;
    }
    // Overnight: the part after `from` belongs to today's window, the part before `to`
    // to the window that started yesterday.
    if (has_day(window, today) && minute >= window.from_min) return true;
    if (has_day(window, yesterday) && minute < window.to_min) return true;
  }
  return false;
}

void RuleEngine::set_rules(std::vector<Rule> rules) {
  rules_ = std::move(rules);
  std::erase_if(events_, [&](const auto& entry) { return rule_named(entry.first.first) == nullptr; });
  std::erase_if(camera_fired_ms_,
                [&](const auto& entry) { return rule_named(entry.first.first) == nullptr; });
  std::erase_if(track_fired_ms_,
                [&](const auto& entry) { return rule_named(std::get<0>(entry.first)) == nullptr; });
}

void RuleEngine::restore_cooldowns(const std::vector<CameraCooldown>& marks) {
  for (const CameraCooldown& mark : marks) {
    if (rule_named(mark.rule) == nullptr) continue;
    std::int64_t& fired_ms = camera_fired_ms_[{mark.rule, mark.camera}];
    fired_ms = std::max(fired_ms, mark.fired_ms);
  }
}

const Rule* RuleEngine::rule_named(const std::string& name) const {
  for (const Rule& rule : rules_)
    if (rule.name == name) return &rule;
  return nullptr;
}

bool RuleEngine::applies(const Rule& rule, const store::EventRecord& event) const {
  if (!rule.enabled) return false;
  if (!rule.cameras.empty() && !contains(rule.cameras, event.camera_name)) return false;
  if (!rule.classes.empty() && !contains(rule.classes, event.label)) return false;
  return true;
}

bool RuleEngine::confirmed(const Rule& rule, const store::EventRecord& event) const {
  const auto frames = frames_.find(event.camera_name);
  if (frames == frames_.end()) return true;
  const auto& history = frames->second;
  const std::size_t window = std::min<std::size_t>(history.size(), static_cast<std::size_t>(rule.confirm->m));
  int seen = 0;
  for (std::size_t i = history.size() - window; i < history.size(); ++i)
    if (std::find(history[i].begin(), history[i].end(), event.track_id) != history[i].end()) ++seen;
  return seen >= rule.confirm->n;
}

void RuleEngine::evaluate(const Rule& rule, EventState& state, std::int64_t now_ms, std::int64_t elapsed_ms,
                          std::vector<Firing>& out) {
  if (state.fired || state.suppressed) return;
  const store::EventRecord& event = state.event;
  if (event.score < rule.min_score) return;
  if (!rule.zones.empty()) {
    const bool zone_ok = std::any_of(rule.zones.begin(), rule.zones.end(), [&](const std::string& zone) {
      return contains(event.zones, zone) &&
             (rule.zone_mode == ZoneMode::kInside || !contains(state.zones_at_open, zone));
    });
    if (!zone_ok) return;
  }
  if (rule.min_duration_s > 0 && static_cast<double>(elapsed_ms) < rule.min_duration_s * 1000.0) return;
  if (rule.confirm && !confirmed(rule, event)) return;
  if (!in_schedule(rule.schedule, now_ms)) return;

  const auto camera_key = std::make_pair(rule.name, event.camera_name);
  const auto track_key = std::make_tuple(rule.name, event.camera_name, event.track_id);
  const auto cooling = [&](const auto& fired_ms, const auto& key, double cooldown_s) {
    if (cooldown_s <= 0) return false;
    const auto last = fired_ms.find(key);
    return last != fired_ms.end() && static_cast<double>(now_ms - last->second) < cooldown_s * 1000.0;
  };
  if (cooling(camera_fired_ms_, camera_key, rule.cooldown_per_camera_s) ||
      cooling(track_fired_ms_, track_key, rule.cooldown_per_track_s)) {
    state.suppressed = true;
    return;
  }
  camera_fired_ms_[camera_key] = now_ms;
  track_fired_ms_[track_key] = now_ms;
  state.fired = true;
  out.push_back(Firing{AlertType::kNew, rule, state.event, state.snapshot_file, now_ms, std::nullopt});
}

std::vector<Firing> RuleEngine::on_event(EventKind kind, const store::EventRecord& event,
                                         const std::string& snapshot_file, std::int64_t now_ms) {
  std::vector<Firing> out;
  for (const Rule& rule : rules_) {
    if (!applies(rule, event)) continue;
    const EventKey key{rule.name, event.id};
    auto it = events_.find(key);
    if (it == events_.end()) {
      EventState state;
      // Zones it is in when first seen do not count as entered. That is also the rule
      // for an event first seen on an update (a rule added meanwhile, a restart).
      state.zones_at_open = event.zones;
      it = events_.emplace(key, std::move(state)).first;
    }
    EventState& state = it->second;
    state.event = event;
    if (!snapshot_file.empty()) state.snapshot_file = snapshot_file;
    state.last_seen_ms = now_ms;
    if (kind != EventKind::kClosed) {
      const std::size_t before = out.size();
      evaluate(rule, state, now_ms, now_ms - event.start_ms, out);
      // This notice's frame triggered it: the pipeline stamps updated_ms with the
      // frame's decode time.
      if (out.size() > before) out.back().frame_ms = event.updated_ms;
      continue;
    }
    const bool fired_before = state.fired;
    evaluate(rule, state, now_ms, event.end_ms.value_or(now_ms) - event.start_ms, out);
    if (fired_before && rule.notify_on_end)
      out.push_back(Firing{AlertType::kEnd, rule, state.event, state.snapshot_file, now_ms, std::nullopt});
    events_.erase(it);
  }
  return out;
}

std::vector<Firing> RuleEngine::observe_frame(const std::string& camera,
                                              const std::vector<std::int64_t>& track_ids,
                                              std::int64_t now_ms) {
  auto& history = frames_[camera];
  history.push_back(track_ids);
  if (history.size() > kMaxFrames) history.pop_front();
  std::vector<Firing> out;
  for (auto& [key, state] : events_) {
    const Rule* rule = rule_named(key.first);
    if (rule != nullptr && rule->confirm && state.event.camera_name == camera)
      evaluate(*rule, state, now_ms, now_ms - state.event.start_ms, out);
  }
  return out;
}

std::vector<Firing> RuleEngine::tick(std::int64_t now_ms) {
  std::vector<Firing> out;
  for (auto it = events_.begin(); it != events_.end();) {
    EventState& state = it->second;
    if (now_ms - state.last_seen_ms > kForgetAfterMs) {
      it = events_.erase(it);
      continue;
    }
    if (const Rule* rule = rule_named(it->first.first))
      evaluate(*rule, state, now_ms, now_ms - state.event.start_ms, out);
    ++it;
  }
  const auto expired = [&](const std::string& rule_name, std::int64_t fired_ms) {
    const Rule* rule = rule_named(rule_name);
    const double cooldown_s =
        rule == nullptr ? 0 : std::max(rule->cooldown_per_camera_s, rule->cooldown_per_track_s);
    return static_cast<double>(now_ms - fired_ms) > cooldown_s * 1000.0;
  };
  std::erase_if(camera_fired_ms_,
                [&](const auto& entry) { return expired(entry.first.first, entry.second); });
  std::erase_if(track_fired_ms_,
                [&](const auto& entry) { return expired(std::get<0>(entry.first), entry.second); });
  return out;
}

} // namespace tilescope::alerts
