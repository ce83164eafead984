// Boxes cut by inner tile borders: absorb partial copies into whole ones, join the
// halves of objects larger than the overlap. The rule is in edge_cuts.h.
#include "tilescope/tiling/edge_cuts.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

namespace tilescope::tiling {
namespace {

using detect::BoxXYXY;

double area(const BoxXYXY& b) {
  return std::max(0.0, double(b.x2) - b.x1) * std::max(0.0, double(b.y2) - b.y1);
}

double intersection(const BoxXYXY& a, const BoxXYXY& b) {
  const double w = std::min<double>(a.x2, b.x2) - std::max<double>(a.x1, b.x1);
  const double h = std::min<double>(a.y2, b.y2) - std::max<double>(a.y1, b.y1);
  return w > 0 && h > 0 ? w * h : 0.0;
}

// 1-D IoU of [a1, a2] and [b1, b2].
double interval_iou(float a1, float a2, float b1, float b2) {
  const double inter = std::min<double>(a2, b2) - std::max<double>(a1, b1);
  const double uni = std::max<double>(a2, b2) - std::min<double>(a1, b1);
  return inter > 0 && uni > 0 ? inter / uni : 0.0;
}

// `whole` reaches at least as far as `part` on each of part's cut sides.
bool reaches(const BoxXYXY& whole, const BoxXYXY& part, std::uint8_t sides, float tol) {
  return (!(sides & kCutLeft) || whole.x1 <= part.x1 + tol) &&
         (!(sides & kCutTop) || whole.y1 <= part.y1 + tol) &&
         (!(sides & kCutRight) || whole.x2 >= part.x2 - tol) &&
         (!(sides & kCutBottom) || whole.y2 >= part.y2 - tol);
}

// How well `a` (cut on its right, or bottom when !horizontal) and `b` (cut on its
// left, or top) face each other across a shared strip: their overlap along the
// border (1-D IoU), or 0 when they do not both span the strip between b's border
// and a's border.
double facing(const TileDetection& a, const TileDetection& b, bool horizontal, float tol) {
  const BoxXYXY& p = a.detection.box;
  const BoxXYXY& q = b.detection.box;
  if (horizontal) {
    if (!(a.cut_sides & kCutRight) || !(b.cut_sides & kCutLeft)) return 0;
    if (!(q.x1 < p.x2 + tol && p.x1 <= q.x1 + tol && q.x2 >= p.x2 - tol)) return 0;
    return interval_iou(p.y1, p.y2, q.y1, q.y2);
  }
  if (!(a.cut_sides & kCutBottom) || !(b.cut_sides & kCutTop)) return 0;
  if (!(q.y1 < p.y2 + tol && p.y1 <= q.y1 + tol && q.y2 >= p.y2 - tol)) return 0;
  return interval_iou(p.x1, p.x2, q.x1, q.x2);
}

std::size_t find(std::vector<std::size_t>& parent, std::size_t i) {
  while (parent[i] != i)
    i = parent[i] = parent[parent[i]];
  return i;
}

// Rule "group" (edge_cuts.h): is the full-frame box `g` two or more objects that some
// tile boxed apart?
bool is_group(std::span<const TileDetection> detections, std::size_t g, const EdgeCutOptions& options) {
  const BoxXYXY& group = detections[g].detection.box;
  const double group_area = area(group);
  if (group_area <= 0) return false;
  std::map<int, std::vector<const BoxXYXY*>> members; // by tile
  std::set<int> whole;                                // tiles that boxed the group's object whole
  for (const TileDetection& d : detections) {
    if (d.tile < 0 || !(options.class_agnostic || d.detection.class_id == detections[g].detection.class_id))
      continue;
    const BoxXYXY& b = d.detection.box;
    if (detect::iou(b, group) >= 0.5f) whole.insert(d.tile);
    const double a = area(b);
    if (d.cut_sides == 0 && a >= options.group_member_share * group_area &&
        intersection(b, group) >= options.group_containment * a) {
      members[d.tile].push_back(&b);
    }
  }
  for (const auto& [tile, boxes] : members) {
    if (whole.count(tile)) continue;
    for (std::size_t x = 0; x < boxes.size(); ++x) {
      for (std::size_t y = x + 1; y < boxes.size(); ++y) {
        const BoxXYXY& p = *boxes[x];
        const BoxXYXY& q = *boxes[y];
        const BoxXYXY both{std::min(p.x1, q.x1), std::min(p.y1, q.y1), std::max(p.x2, q.x2),
                           std::max(p.y2, q.y2)};
        if (detect::iou(p, q) < options.group_apart_iou && detect::iou(both, group) >= options.group_span_iou)
          return true;
      }
    }
  }
  return false;
}

} // namespace

std::uint8_t cut_sides(const BoxXYXY& box_in_tile, const TileRect& tile, cv::Size frame, float tolerance_px) {
  std::uint8_t sides = 0;
  if (tile.x1 > 0 && box_in_tile.x1 <= tolerance_px) sides |= kCutLeft;
  if (tile.y1 > 0 && box_in_tile.y1 <= tolerance_px) sides |= kCutTop;
  if (tile.x2 < frame.width && box_in_tile.x2 >= tile.width() - tolerance_px) sides |= kCutRight;
  if (tile.y2 < frame.height && box_in_tile.y2 >= tile.height() - tolerance_px) sides |= kCutBottom;
  return sides;
}

void resolve_edge_cuts(std::span<const TileDetection> detections, const EdgeCutOptions& options,
                       std::vector<detect::Detection>& out) {
  const std::size_t n = detections.size();
  const float tol = options.tolerance_px;
  std::vector<float> score(n);
  std::vector<char> alive(n, 1);
  for (std::size_t i = 0; i < n; ++i)
    score[i] = detections[i].detection.score;
  const auto same_class = [&](std::size_t i, std::size_t j) {
    return options.class_agnostic || detections[i].detection.class_id == detections[j].detection.class_id;
  };

  // Groups: a full-frame box that one tile saw as separate objects (rule in edge_cuts.h).
  for (std::size_t i = 0; i < n && options.split_groups; ++i) {
    if (detections[i].tile < 0 && is_group(detections, i, options)) alive[i] = 0;
  }

  // Absorb: each cut box into the uncut box that holds most of it.
  for (std::size_t i = 0; i < n; ++i) {
    const TileDetection& part = detections[i];
    const double part_area = area(part.detection.box);
    if (part.cut_sides == 0 || part_area <= 0) continue;
    std::size_t best = n;
    double best_cover = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const TileDetection& whole = detections[j];
      if (j == i || !alive[j] || whole.cut_sides != 0 || !same_class(i, j)) continue;
      const double cover = intersection(part.detection.box, whole.detection.box) / part_area;
      if (cover < options.containment ||
          !reaches(whole.detection.box, part.detection.box, part.cut_sides, tol)) {
        continue;
      }
      if (best == n || cover > best_cover ||
          (cover == best_cover && whole.detection.score > detections[best].detection.score)) {
        best = j;
        best_cover = cover;
      }
    }
    if (best < n) {
      alive[i] = 0;
      score[best] = std::max(score[best], part.detection.score);
    }
  }

  // Join: across each border direction, a cut box and its best facing partner when
  // each is the other's best (one-to-one: a tile that boxes an arm and a torso of
  // one person does not chain both, nor a neighbour, into it). Then transitively.
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  std::vector<std::size_t> best_after(n), best_before(n); // partner across a's right/bottom, b's left/top
  std::vector<double> value_after(n), value_before(n);
  const auto joinable = [&](std::size_t i, std::size_t j) {
    return i != j && alive[i] && alive[j] && detections[i].tile >= 0 && detections[j].tile >= 0 &&
           detections[i].tile != detections[j].tile && same_class(i, j);
  };
  for (bool horizontal : {true, false}) {
    std::fill(best_after.begin(), best_after.end(), n);
    std::fill(best_before.begin(), best_before.end(), n);
    std::fill(value_after.begin(), value_after.end(), 0.0);
    std::fill(value_before.begin(), value_before.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      if (!alive[i] || detections[i].cut_sides == 0) continue;
      for (std::size_t j = 0; j < n; ++j) {
        if (detections[j].cut_sides == 0 || !joinable(i, j)) continue;
        const double v = facing(detections[i], detections[j], horizontal, tol);
        if (v < options.along_border) continue;
        if (v > value_after[i]) value_after[i] = v, best_after[i] = j;
        if (v > value_before[j]) value_before[j] = v, best_before[j] = i;
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t j = best_after[i];
      if (j < n && best_before[j] == i) parent[find(parent, j)] = find(parent, i);
    }
  }

  // Emit: each group at its first member, enclosing box, max score, the best member's class.
  std::vector<std::size_t> slot(n, n); // root -> index in `out`
  for (std::size_t i = 0; i < n; ++i) {
    if (!alive[i]) continue;
    const std::size_t root = find(parent, i);
    detect::Detection d = detections[i].detection;
    d.score = score[i];
    if (slot[root] == n) {
      slot[root] = out.size();
      out.push_back(d);
      continue;
    }
    detect::Detection& g = out[slot[root]];
    if (d.score > g.score) g.class_id = d.class_id;
    g.score = std::max(g.score, d.score);
    g.box = {std::min(g.box.x1, d.box.x1), std::min(g.box.y1, d.box.y1), std::max(g.box.x2, d.box.x2),
             std::max(g.box.y2, d.box.y2)};
  }
}

void merge_tile_detections(std::span<const TileDetection> detections, const MergeOptions& merge,
                           float tolerance_px, Merger& merger, std::vector<detect::Detection>& candidates,
                           std::vector<detect::Detection>& merged) {
  candidates.clear();
  if (merge.edge_cuts) {
    EdgeCutOptions cut_options;
    cut_options.tolerance_px = tolerance_px;
    cut_options.class_agnostic = merge.class_agnostic;
    cut_options.split_groups = merge.split_groups;
    resolve_edge_cuts(detections, cut_options, candidates);
  } else {
    for (const TileDetection& td : detections)
      candidates.push_back(td.detection);
  }
  merger.run(candidates, merge, merged);
}

} // namespace tilescope::tiling
