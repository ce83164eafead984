// N-of-M confirmation per track id: a track is confirmed once it has been seen in at
// least N of its last M frames, and stays confirmed until forgotten. Events use it so a
// detection that flickers for one or two frames does not open an event (issue #5).
//
// Frames before a track's first observe() count as misses, so a new track needs N
// sightings within its first M frames.
#pragma once

#include <cstdint>
#include <unordered_map>

namespace tilescope::track {

struct ConfirmationOptions {
  int required = 3; // N: sightings needed, 1 <= N <= M
  int window = 5;   // M: frames looked back over, M <= 64
};

class Confirmation {
public:
  // Throws tilescope::Error unless 1 <= required <= window <= 64.
  explicit Confirmation(ConfirmationOptions options = {});

  // Records one frame for `track_id`; returns whether the track is confirmed (seen in
  // at least N of its last M frames now or at any earlier call).
  bool observe(int track_id, bool seen_this_frame);

  // Whether the track is confirmed, without recording a frame; false for unknown ids.
  bool confirmed(int track_id) const;

  // Drops the track's history (its track ended); a later observe() starts afresh.
  void forget(int track_id);
  void clear() { tracks_.clear(); }
  std::size_t size() const { return tracks_.size(); }

  const ConfirmationOptions& options() const { return options_; }

private:
  struct History {
    std::uint64_t frames = 0; // bit 0 = latest frame, bit i = i frames ago; 1 = seen
    bool confirmed = false;
  };

  ConfirmationOptions options_;
  std::uint64_t window_mask_ = 0;
  std::unordered_map<int, History> tracks_;
};

} // namespace tilescope::track
