// Round-robin sweeping of a gated camera (camera_pipeline.h): gating runs only the views
// of the full slice plan where something moves or is tracked, so still objects elsewhere
// are found by sweeps. Instead of running the whole plan every `every` frames (a spike of
// every view at once), each view (each tile, and the full-frame pass) is swept on its own
// once it has not run for `every` processed frames, whether it last ran for gating or for
// a sweep:
//   - every view runs at least once in any `every` consecutive processed frames (the
//     guarantee the old whole-plan sweep gave);
//   - a view gating keeps running (a busy corner) is never swept on top, so the sweeps
//     cost less than n_views / every per frame;
//   - after the whole plan ran (first frame, motion not trusted), the tiles' next sweeps
//     are spread over the next `every` frames (tile i is due after every - i * every / n
//     frames), so sweeps cost about one tile per every / n frames instead of n at once.
// A full plan with other tiles than the last one (another frame size, a new budget)
// restarts: the whole plan is due.
#pragma once

#include "tilescope/tiling/plan.h"

#include <cstdint>
#include <vector>

namespace tilescope::pipeline {

struct SweepStep {
  tiling::SlicePlan plan; // what to run: the gated plan plus the views due, in the full plan's order
  int swept = 0;          // views added because they were due
  bool whole = false;     // the whole plan runs (asked for, or the schedule restarted)
};

class SweepSchedule {
public:
  // Throws Error when every < 1.
  explicit SweepSchedule(int every);

  // One processed frame: `gated` is a subset of `full` (region_plan.h); `run_whole` asks
  // for the whole plan. Records what runs; call once per processed frame.
  SweepStep step(const tiling::SlicePlan& full, const tiling::SlicePlan& gated, bool run_whole);

  int every() const { return every_; }

private:
  void restart(const tiling::SlicePlan& full);

  int every_;
  std::int64_t frame_ = 0;              // processed frames so far
  std::vector<tiling::TileRect> tiles_; // the full plan the schedule is for
  bool has_full_frame_ = false;         // ... and whether it has the full-frame pass
  std::vector<std::int64_t> last_run_;  // by tile index, then the full frame: frame it (nominally) ran
  bool started_ = false;
};

} // namespace tilescope::pipeline
