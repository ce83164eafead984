// Region gating of a slice plan (the rule is in region_plan.h).
#include "tilescope/tiling/region_plan.h"

#include "tilescope/core/error.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <numeric>

namespace tilescope::tiling {
namespace {

bool holds(const TileRect& tile, const cv::Rect& region) {
  return tile.x1 <= region.x && tile.y1 <= region.y && region.x + region.width <= tile.x2 &&
         region.y + region.height <= tile.y2;
}

bool intersects(const TileRect& tile, const cv::Rect& region) {
  return tile.x1 < region.x + region.width && region.x < tile.x2 && tile.y1 < region.y + region.height &&
         region.y < tile.y2;
}

// Least distance from the region to a tile side that cuts the frame; a side on the
// frame's edge cuts nothing, so an object there is whole whatever its distance.
int margin(const TileRect& tile, const cv::Rect& region, cv::Size frame) {
  constexpr int kUncut = std::numeric_limits<int>::max();
  const int left = tile.x1 > 0 ? region.x - tile.x1 : kUncut;
  const int top = tile.y1 > 0 ? region.y - tile.y1 : kUncut;
  const int right = tile.x2 < frame.width ? tile.x2 - (region.x + region.width) : kUncut;
  const int bottom = tile.y2 < frame.height ? tile.y2 - (region.y + region.height) : kUncut;
  return std::min({left, top, right, bottom});
}

// A region's object size (Region::object_px, or its longer side) and whether step 2 leaves
// it to the full-frame pass.
double object_size(const Region& r) {
  return r.object_px > 0 ? r.object_px : std::max(r.area.width, r.area.height);
}

bool full_frame_finds(const SlicePlan& full_plan, double object_px, const RegionPlanOptions& options) {
  return full_plan.full_frame && options.full_frame_finds_px > 0 && object_px >= options.full_frame_finds_px;
}

// Rule step 2b's search: the tiles to keep so that every small region lies whole in one
// of them, with the fewest views (kept tiles, plus the full frame unless the kept tiles
// also hold every large region). `greedy` is step 3's choice, which needs the full frame;
// it stays unless some choice runs strictly fewer views. Among the cheapest, the most
// margin (summed over the regions, each at its best kept tile), then the first in the
// full plan's order. Plans of more than kMaxSearchTiles tiles keep `greedy`.
constexpr std::size_t kMaxSearchTiles = 12;

std::vector<bool> fewest_views(cv::Size frame, const SlicePlan& full_plan, const std::vector<cv::Rect>& small,
                               const std::vector<cv::Rect>& large, std::vector<bool> greedy) {
  const std::size_t n = full_plan.tiles.size();
  if (n > kMaxSearchTiles) return greedy;
  // Per region (small ones first): the tiles holding it as a bit mask, and its margin in
  // each of them (capped, so a side on the frame's edge does not swamp the sum).
  struct Held {
    std::uint32_t tiles = 0;
    std::vector<long long> margin;
  };
  std::vector<Held> held;
  held.reserve(small.size() + large.size());
  for (const std::vector<cv::Rect>* group : {&small, &large}) {
    for (const cv::Rect& region : *group) {
      Held h;
      h.margin.assign(n, 0);
      for (std::size_t t = 0; t < n; ++t) {
        if (!holds(full_plan.tiles[t], region)) continue;
        h.tiles |= 1u << t;
        h.margin[t] = std::min(margin(full_plan.tiles[t], region, frame), 1 << 16);
      }
      held.push_back(std::move(h));
    }
  }
  // The regions' summed margin, each at its best tile of `mask` (a large one none holds: 0).
  const auto total_margin = [&](std::uint32_t mask) {
    long long total = 0;
    for (const Held& h : held) {
      long long best = 0;
      for (std::size_t t = 0; t < n; ++t)
        if ((mask & h.tiles) >> t & 1u) best = std::max(best, h.margin[t]);
      total += best;
    }
    return total;
  };

  int best_cost = static_cast<int>(std::count(greedy.begin(), greedy.end(), true)) + 1; // + the full frame
  long long best_margin = 0;
  std::uint32_t best_mask = 0; // 0: greedy's choice stands
  for (std::uint32_t mask = 1; mask < (1u << n); ++mask) {
    const int tiles = std::popcount(mask);
    if (tiles > best_cost) continue; // costlier even without the full frame
    const auto in_mask = [mask](const Held& h) { return (mask & h.tiles) != 0; };
    const auto small_end = held.begin() + static_cast<std::ptrdiff_t>(small.size());
    if (!std::all_of(held.begin(), small_end, in_mask)) continue;
    const int cost = tiles + (std::all_of(small_end, held.end(), in_mask) ? 0 : 1);
    // Greedy's choice is replaced only by a strictly cheaper one; among the cheapest, the
    // most margin, then the lowest mask.
    if (cost > best_cost || (cost == best_cost && best_mask == 0)) continue;
    const long long total = total_margin(mask);
    if (cost < best_cost || total > best_margin) {
      best_cost = cost;
      best_margin = total;
      best_mask = mask;
    }
  }
  if (best_mask == 0) return greedy;
  std::vector<bool> best(n);
  for (std::size_t t = 0; t < n; ++t)
    best[t] = (best_mask >> t) & 1u;
  return best;
}

} // namespace

SlicePlan plan_regions(cv::Size frame, const SlicePlan& full_plan, const std::vector<Region>& regions,
                       const RegionPlanOptions& options) {
  if (options.padding_px < 0) {
    throw Error("region plan: padding_px must be >= 0, got " + std::to_string(options.padding_px));
  }
  if (!(options.full_frame_finds_px >= 0)) {
    throw Error("region plan: full_frame_finds_px must be >= 0, got " +
                std::to_string(options.full_frame_finds_px));
  }
  const cv::Rect frame_rect(0, 0, frame.width, frame.height);
  struct Clamped {
    cv::Rect area;
    double object_px;
  };
  std::vector<Clamped> clamped;
  clamped.reserve(regions.size());
  for (const Region& r : regions) {
    if (!(r.object_px >= 0)) {
      throw Error("region plan: object_px must be >= 0, got " + std::to_string(r.object_px));
    }
    const int p = options.padding_px;
    const cv::Rect& a = r.area;
    const cv::Rect padded = cv::Rect(a.x - p, a.y - p, a.width + 2 * p, a.height + 2 * p) & frame_rect;
    if (a.width <= 0 || a.height <= 0 || padded.empty()) continue;
    clamped.push_back({padded, object_size(r)});
  }

  SlicePlan gated;
  gated.min_object_px = full_plan.min_object_px;
  gated.min_overlap_px = full_plan.min_overlap_px;
  if (clamped.empty()) {
    gated.reason = "regions: none, nothing to run";
    return gated;
  }
  if (full_plan.tiles.empty()) {
    gated.full_frame = true;
    gated.reason = "regions: " + std::to_string(clamped.size()) + ", the plan is the full frame alone";
    return gated;
  }

  // Step 2: objects the full frame finds on its own.
  std::vector<Clamped> small;
  std::vector<cv::Rect> large;
  for (const Clamped& c : clamped) {
    if (full_frame_finds(full_plan, c.object_px, options)) {
      large.push_back(c.area);
    } else {
      small.push_back(c);
    }
  }

  const std::size_t n_tiles = full_plan.tiles.size();
  std::vector<std::vector<std::size_t>> holders(small.size());
  for (std::size_t r = 0; r < small.size(); ++r) {
    for (std::size_t t = 0; t < n_tiles; ++t)
      if (holds(full_plan.tiles[t], small[r].area)) holders[r].push_back(t);
  }
  // Most constrained first, then in the given order: regions no tile holds keep their
  // tiles first, then a region that only one tile holds fixes that tile, before regions
  // with a choice look for a kept one.
  std::vector<std::size_t> order(small.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&holders](std::size_t a, std::size_t b) {
    return holders[a].size() < holders[b].size();
  });

  std::vector<bool> keep(n_tiles, false);
  for (const std::size_t r : order) {
    const cv::Rect& region = small[r].area;
    if (holders[r].empty()) {
      for (std::size_t t = 0; t < n_tiles; ++t)
        if (intersects(full_plan.tiles[t], region)) keep[t] = true;
      gated.full_frame = gated.full_frame || full_plan.full_frame;
      continue;
    }
    const auto best_of = [&](bool kept_only) -> std::ptrdiff_t {
      std::ptrdiff_t best = -1;
      int best_margin = std::numeric_limits<int>::min();
      for (const std::size_t t : holders[r]) {
        if (kept_only && !keep[t]) continue;
        const int m = margin(full_plan.tiles[t], region, frame);
        if (m > best_margin) { // strict: ties go to the earlier tile
          best_margin = m;
          best = static_cast<std::ptrdiff_t>(t);
        }
      }
      return best;
    };
    std::ptrdiff_t chosen = options.reuse_kept_tiles ? best_of(true) : -1;
    if (chosen < 0) chosen = best_of(false);
    keep[static_cast<std::size_t>(chosen)] = true;
  }

  // Step 2, deferred: the full frame for the large regions, unless a kept tile holds
  // each of them (large_in_kept_tiles).
  const auto all_large_held = [&](const std::vector<bool>& kept) {
    return std::all_of(large.begin(), large.end(), [&](const cv::Rect& region) {
      for (std::size_t t = 0; t < n_tiles; ++t)
        if (kept[t] && holds(full_plan.tiles[t], region)) return true;
      return false;
    });
  };
  const bool forced_full = gated.full_frame; // a region inside no tile (step 4)
  if (options.large_in_kept_tiles && !forced_full && !large.empty() && !all_large_held(keep)) {
    std::vector<cv::Rect> small_areas;
    for (const Clamped& c : small)
      small_areas.push_back(c.area);
    keep = fewest_views(frame, full_plan, small_areas, large, keep);
  }
  gated.full_frame =
      forced_full || (!large.empty() && !(options.large_in_kept_tiles && all_large_held(keep)));
  for (std::size_t t = 0; t < n_tiles; ++t)
    if (keep[t]) gated.tiles.push_back(full_plan.tiles[t]);
  gated.reason = "regions: " + std::to_string(gated.tiles.size()) + " of " + std::to_string(n_tiles) +
                 " tiles for " + std::to_string(clamped.size()) + " regions" +
                 (gated.full_frame ? ", and the full frame for large ones" : "");
  return gated;
}

SlicePlan plan_regions(cv::Size frame, const SlicePlan& full_plan, const std::vector<cv::Rect>& regions,
                       const RegionPlanOptions& options) {
  std::vector<Region> typed;
  typed.reserve(regions.size());
  for (const cv::Rect& r : regions)
    typed.push_back({r, 0});
  return plan_regions(frame, full_plan, typed, options);
}

SlicePlan plan_regions_packed(cv::Size frame, const SlicePlan& full_plan, const std::vector<Region>& regions,
                              const RegionPlanOptions& options, const PackOptions& pack, int join_px) {
  std::vector<Region> grid; // what keeps the rule above
  std::vector<cv::Rect> crops;
  for (const Region& r : regions) {
    if (full_frame_finds(full_plan, object_size(r), options)) {
      grid.push_back(r);
      continue;
    }
    const cv::Rect& c = r.area;
    const int w = std::min(frame.width, c.width), h = std::min(frame.height, c.height);
    crops.push_back({std::clamp(c.x, 0, frame.width - w), std::clamp(c.y, 0, frame.height - h), w, h});
  }
  crops = join_crops(std::move(crops), max_crop_px(pack), join_px);
  std::vector<cv::Rect> packed;
  for (const cv::Rect& c : crops) {
    if (fits(c, pack)) {
      packed.push_back(c);
    } else {
      grid.push_back({c, 0});
    }
  }
  SlicePlan gated = plan_regions(frame, full_plan, grid, options);
  gated.canvases = pack_crops(packed, pack);
  if (gated.views() >= full_plan.views()) return full_plan; // packing saves nothing this frame
  if (!gated.canvases.empty()) {
    gated.reason += "; " + std::to_string(packed.size()) + " crops in " +
                    std::to_string(gated.canvases.size()) + " packed views";
  }
  return gated;
}

double full_frame_finds_px(cv::Size frame, cv::Size model_input, int reliable_input_px) {
  if (model_input.width <= 0 || model_input.height <= 0) return 0;
  const double reliable = reliable_input_px > 0 ? reliable_input_px : kDefaultReliableInputPx;
  return reliable * std::max(static_cast<double>(frame.width) / model_input.width,
                             static_cast<double>(frame.height) / model_input.height);
}

} // namespace tilescope::tiling
