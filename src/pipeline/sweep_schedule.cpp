// Round-robin sweeping (sweep_schedule.h).
#include "sweep_schedule.h"

#include "tilescope/core/error.h"

#include <algorithm>
#include <string>

namespace tilescope::pipeline {

SweepSchedule::SweepSchedule(int every) : every_(every) {
  if (every < 1) throw Error("sweep schedule: every must be >= 1, got " + std::to_string(every));
}

void SweepSchedule::restart(const tiling::SlicePlan& full) {
  tiles_ = full.tiles;
  has_full_frame_ = full.full_frame;
  started_ = true;
  last_run_.assign(tiles_.size() + 1, frame_);
}

SweepStep SweepSchedule::step(const tiling::SlicePlan& full, const tiling::SlicePlan& gated, bool run_whole) {
  SweepStep out;
  const bool same_plan = started_ && full.tiles == tiles_ && full.full_frame == has_full_frame_;
  const std::size_t n = full.tiles.size();
  if (run_whole || !same_plan) {
    restart(full);
    // Spread the tiles' next sweeps over the next `every` frames (they all ran now; one
    // that pretends to have run earlier is only swept sooner).
    for (std::size_t i = 0; i < n; ++i)
      last_run_[i] = frame_ - static_cast<std::int64_t>(i) * every_ / static_cast<std::int64_t>(n);
    out.plan = full;
    out.whole = true;
    frame_++;
    return out;
  }

  std::vector<bool> runs(n, false);
  for (const tiling::TileRect& t : gated.tiles) {
    const auto it = std::find(tiles_.begin(), tiles_.end(), t);
    if (it == tiles_.end()) throw Error("sweep schedule: a gated tile is not in the full plan");
    runs[static_cast<std::size_t>(it - tiles_.begin())] = true;
  }
  bool full_frame = gated.full_frame && has_full_frame_;
  for (std::size_t i = 0; i < n; ++i) {
    if (!runs[i] && frame_ - last_run_[i] >= every_) {
      runs[i] = true;
      out.swept++;
    }
  }
  if (has_full_frame_ && !full_frame && frame_ - last_run_[n] >= every_) {
    full_frame = true;
    out.swept++;
  }

  out.plan = gated;
  out.plan.tiles.clear();
  for (std::size_t i = 0; i < n; ++i) {
    if (!runs[i]) continue;
    out.plan.tiles.push_back(tiles_[i]);
    last_run_[i] = frame_;
  }
  out.plan.full_frame = full_frame;
  if (full_frame) last_run_[n] = frame_;
  if (out.swept > 0) out.plan.reason += ", " + std::to_string(out.swept) + " swept";
  frame_++;
  return out;
}

} // namespace tilescope::pipeline
