// The adaptive slice planner. The rule, with the reasons for each constant, is the
// comment block in plan.h ("Adaptive tiling"); this file follows it step by step.
#include "tilescope/core/error.h"
#include "tilescope/tiling/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>

namespace tilescope::tiling {
namespace {

constexpr double kMaxUpscale = 2.0;       // tiles are upscaled at most 2x into the model input
constexpr double kOverlapJitter = 1.1;    // overlap = 1.1 x the largest object it must hold
constexpr double kMinOverlapRatio = 0.15; // overlap bounds, fractions of the tile
constexpr double kMaxOverlapRatio = 0.5;
constexpr double kBudgetGrowth = 1.1; // over budget: tile scale grows 10% per step

std::string format(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

// Tile starts along one axis of length `length`: the fewest tiles of `tile` pixels
// overlapping by at least `overlap` that cover it, spread evenly, the last one
// ending at the edge. Consecutive starts differ by at most tile - overlap: with
// n = ceil((L - o) / (t - o)), the real step (L - t) / (n - 1) is <= t - o, and
// rounding two reals a step apart moves their difference to at most ceil(step).
std::vector<int> axis_starts(int length, int tile, int overlap) {
  if (tile >= length) return {0};
  const int step = tile - overlap;
  const int n = (length - overlap + step - 1) / step;
  std::vector<int> starts(static_cast<std::size_t>(n));
  const long long span = length - tile;
  for (int i = 0; i < n; ++i) {
    // round(i * span / (n - 1)), halves up, in integers.
    starts[static_cast<std::size_t>(i)] = static_cast<int>((2LL * i * span + (n - 1)) / (2LL * (n - 1)));
  }
  return starts;
}

struct Grid {
  std::vector<TileRect> tiles;
  cv::Size tile;
  cv::Size overlap;
  int cols = 0, rows = 0;
  bool overlap_capped = false; // the wanted overlap exceeded half a tile
};

int axis_overlap(int tile, double wanted, bool& capped) {
  const int lo = static_cast<int>(std::ceil(kMinOverlapRatio * tile));
  const int hi = static_cast<int>(std::floor(kMaxOverlapRatio * tile));
  const int want = static_cast<int>(std::ceil(wanted));
  if (want > hi) capped = true;
  return std::min(std::max(want, lo), hi);
}

// Tiles of the model's aspect at `scale` frame pixels per input pixel, clamped to
// the frame; overlap holds objects of `hold_px` (frame pixels).
Grid make_grid(cv::Size frame, cv::Size input, double scale, double hold_px) {
  Grid g;
  g.tile.width = std::clamp(static_cast<int>(std::lround(input.width * scale)), 1, frame.width);
  g.tile.height = std::clamp(static_cast<int>(std::lround(input.height * scale)), 1, frame.height);
  g.overlap.width = axis_overlap(g.tile.width, kOverlapJitter * hold_px, g.overlap_capped);
  g.overlap.height = axis_overlap(g.tile.height, kOverlapJitter * hold_px, g.overlap_capped);
  const std::vector<int> xs = axis_starts(frame.width, g.tile.width, g.overlap.width);
  const std::vector<int> ys = axis_starts(frame.height, g.tile.height, g.overlap.height);
  g.cols = static_cast<int>(xs.size());
  g.rows = static_cast<int>(ys.size());
  if (g.cols == 1) g.overlap.width = 0;
  if (g.rows == 1) g.overlap.height = 0;
  g.tiles.reserve(xs.size() * ys.size());
  for (int y : ys) {
    for (int x : xs)
      g.tiles.push_back({x, y, x + g.tile.width, y + g.tile.height});
  }
  return g;
}

} // namespace

SlicePlan plan_adaptive(cv::Size frame, const SliceOptions& options, const PlannerContext& context) {
  if (frame.width <= 0 || frame.height <= 0) {
    throw Error("adaptive slicing: frame size " + std::to_string(frame.width) + "x" +
                std::to_string(frame.height) + " must be positive");
  }
  const cv::Size input = context.model_input;
  if (input.width <= 0 || input.height <= 0) {
    throw Error("adaptive slicing: model input " + std::to_string(input.width) + "x" +
                std::to_string(input.height) + " must be positive");
  }
  if (options.min_object_px < 0)
    throw Error("adaptive slicing: min object " + std::to_string(options.min_object_px) + " px must be >= 0");
  if (options.reliable_input_px < 0) {
    throw Error("adaptive slicing: reliable input size " + std::to_string(options.reliable_input_px) +
                " px must be >= 0");
  }
  if (!(options.budget_ms >= 0.0))
    throw Error("adaptive slicing: budget " + std::to_string(options.budget_ms) + " ms must be >= 0");

  const double wanted_px = options.min_object_px > 0 ? options.min_object_px : kDefaultMinObjectPx;
  const double reliable = options.reliable_input_px > 0 ? options.reliable_input_px : kDefaultReliableInputPx;
  // 1. The full frame, letterboxed: frame pixels per input pixel, and what it finds.
  const double full_scale = std::max(static_cast<double>(frame.width) / input.width,
                                     static_cast<double>(frame.height) / input.height);
  const double full_finds_px = reliable * full_scale;
  const bool full_pass_wanted = options.full_frame.value_or(true);
  // 7. Costs: one stands in for the other (every view is letterboxed to the same input).
  const double tile_ms = context.per_tile_ms > 0 ? context.per_tile_ms : context.full_frame_ms;
  const double full_ms = context.full_frame_ms > 0 ? context.full_frame_ms : context.per_tile_ms;
  const bool use_budget = options.budget_ms > 0 && tile_ms > 0;

  // 3. Tile scale for the wanted objects, never upscaling more than 2x.
  double scale = wanted_px / reliable;
  std::string upscale_note;
  if (scale < 1.0 / kMaxUpscale) {
    scale = 1.0 / kMaxUpscale;
    upscale_note = format("objects of %.0f px would need %.1fx upscaling, capped at %.0fx: ", wanted_px,
                          reliable / wanted_px, kMaxUpscale);
  }

  SlicePlan plan;
  const auto full_frame_only = [&](const std::string& why) {
    plan.tiles.clear();
    plan.full_frame = true;
    plan.min_object_px = full_finds_px;
    plan.min_overlap_px = {0, 0};
    plan.predicted_ms = full_ms;
    plan.reason = why + format("full frame only (%.2f frame px per input px finds objects >= %.0f px)",
                               full_scale, full_finds_px);
    if (use_budget && full_ms > options.budget_ms) {
      plan.reason +=
          format(", over the %.0f ms budget: one full-frame pass takes %.1f ms", options.budget_ms, full_ms);
    }
    return plan;
  };
  // 2. Already found by the full frame.
  if (wanted_px >= full_finds_px) return full_frame_only(format("adaptive: min object %.0f px: ", wanted_px));

  // 4. Overlap holds what the full-frame pass may miss (also without that pass: larger
  // objects cut by a border are then joined again by the edge-cut rule).
  const double hold_px = full_finds_px;
  // Tiles as coarse as the full frame (or one tile covering it): the full frame is the plan.
  const auto coarse_as_full_frame = [&] {
    return full_frame_only(
        scale > wanted_px / reliable && use_budget
            ? format("budget %.0f ms: smallest reliably found object %.0f px instead of %.0f; ",
                     options.budget_ms, full_finds_px, wanted_px)
            : upscale_note);
  };
  for (;;) {
    if (scale >= full_scale) return coarse_as_full_frame();
    // 5. The grid.
    Grid grid = make_grid(frame, input, scale, hold_px);
    if (grid.tiles.size() <= 1) return coarse_as_full_frame();
    // 6. Full-frame pass whenever there is more than one tile.
    const bool full_pass = full_pass_wanted;
    const double predicted = (full_pass ? full_ms : 0.0) + static_cast<double>(grid.tiles.size()) * tile_ms;
    if (use_budget && predicted > options.budget_ms) {
      scale *= kBudgetGrowth;
      continue;
    }
    // The tile's own letterbox scale (<= scale after clamping to the frame).
    const double tile_scale = std::max(static_cast<double>(grid.tile.width) / input.width,
                                       static_cast<double>(grid.tile.height) / input.height);
    plan.tiles = std::move(grid.tiles);
    plan.full_frame = full_pass;
    plan.predicted_ms = tile_ms > 0 ? predicted : 0.0;
    plan.min_object_px = reliable * tile_scale;
    plan.min_overlap_px = grid.overlap;
    std::string why = "adaptive: ";
    if (use_budget && plan.min_object_px > wanted_px + 0.5) {
      why += format("budget %.0f ms: smallest reliably found object %.0f px instead of %.0f; ",
                    options.budget_ms, plan.min_object_px, wanted_px);
    } else {
      why += upscale_note;
    }
    why += format("%dx%d tiles (%.2f frame px per input px) find objects >= %.0f px; ", grid.tile.width,
                  grid.tile.height, tile_scale, plan.min_object_px);
    why += format("overlap %dx%d px holds objects the full frame misses (< %.0f px)", grid.overlap.width,
                  grid.overlap.height, full_finds_px);
    if (grid.overlap_capped) why += ", capped at half a tile: larger ones may be cut";
    if (!full_pass) why += "; no full-frame pass: objects cut by tile borders are joined again";
    why += format("; %dx%d = %zu tiles%s", grid.cols, grid.rows, plan.tiles.size(),
                  full_pass ? " + full frame" : "");
    if (plan.predicted_ms > 0) why += format(", predicted %.1f ms", plan.predicted_ms);
    plan.reason = why;
    return plan;
  }
}

} // namespace tilescope::tiling
