#include "tilescope/track/confirmation.h"

#include "tilescope/core/error.h"

#include <bit>
#include <string>

namespace tilescope::track {

Confirmation::Confirmation(ConfirmationOptions options) : options_(options) {
  if (options_.required < 1 || options_.required > options_.window || options_.window > 64)
    throw Error("Confirmation: need 1 <= required <= window <= 64, got required=" +
                std::to_string(options_.required) + " window=" + std::to_string(options_.window));
  window_mask_ = options_.window == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << options_.window) - 1;
}

bool Confirmation::observe(int track_id, bool seen_this_frame) {
  History& h = tracks_[track_id];
  h.frames = ((h.frames << 1) | (seen_this_frame ? 1u : 0u)) & window_mask_;
  if (std::popcount(h.frames) >= options_.required) h.confirmed = true;
  return h.confirmed;
}

bool Confirmation::confirmed(int track_id) const {
  const auto it = tracks_.find(track_id);
  return it != tracks_.end() && it->second.confirmed;
}

void Confirmation::forget(int track_id) { tracks_.erase(track_id); }

} // namespace tilescope::track
