// Slice planning: SAHI's fixed and automatic slicing, the dispatch over the
// planners, and the --slice parser. The adaptive planner is in adaptive_plan.cpp.
#include "tilescope/tiling/plan.h"

#include "tilescope/core/error.h"

#include <cmath>
#include <cstdint>
#include <string>

namespace tilescope::tiling {
namespace {

// SAHI's get_slice_bboxes loop, with the overlaps already in pixels. Slices step
// by (slice - overlap) from the top-left corner; one that would cross the right
// or bottom edge is moved back so it ends at the edge (and clipped at 0 when the
// slice is larger than the image). Rows first, then columns within a row.
// Terminates because overlap < slice (callers check).
std::vector<TileRect> slice_bboxes_px(int image_height, int image_width, int slice_height, int slice_width,
                                      int y_overlap, int x_overlap) {
  std::vector<TileRect> slices;
  int y_min = 0, y_max = 0;
  while (y_max < image_height) {
    int x_min = 0, x_max = 0;
    y_max = y_min + slice_height;
    while (x_max < image_width) {
      x_max = x_min + slice_width;
      if (y_max > image_height || x_max > image_width) {
        const int x2 = std::min(image_width, x_max);
        const int y2 = std::min(image_height, y_max);
        slices.push_back({std::max(0, x2 - slice_width), std::max(0, y2 - slice_height), x2, y2});
      } else {
        slices.push_back({x_min, y_min, x_max, y_max});
      }
      x_min = x_max - x_overlap;
    }
    y_min = y_max - y_overlap;
  }
  return slices;
}

void check_image_size(int height, int width, const char* what) {
  if (height <= 0 || width <= 0) {
    throw Error(std::string(what) + ": image size " + std::to_string(width) + "x" + std::to_string(height) +
                " must be positive");
  }
}

// SAHI's calc_resolution_factor: the largest n with 2^n < resolution (-1 for 1 pixel).
int resolution_factor(std::int64_t resolution) {
  int n = 0;
  while ((std::int64_t{1} << n) < resolution)
    ++n;
  return n - 1;
}

std::string size_text(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

std::string tiles_text(const SlicePlan& p) {
  std::string s = std::to_string(p.tiles.size()) + (p.tiles.size() == 1 ? " tile" : " tiles");
  return s + (p.full_frame ? " + full frame" : "");
}

} // namespace

std::vector<TileRect> sahi_slice_bboxes(int image_height, int image_width, int slice_height, int slice_width,
                                        double overlap_height_ratio, double overlap_width_ratio) {
  check_image_size(image_height, image_width, "slicing");
  if (slice_height <= 0 || slice_width <= 0) {
    throw Error("slice size " + size_text(slice_width, slice_height) + " must be positive");
  }
  for (double r : {overlap_height_ratio, overlap_width_ratio}) {
    if (!(r >= 0.0 && r < 1.0))
      throw Error("slice overlap ratio " + std::to_string(r) + " must be in [0, 1)");
  }
  // SAHI: y_overlap = int(overlap_height_ratio * slice_height), a double product
  // truncated toward zero; IEEE double here gives the same bits as Python's float.
  const int y_overlap = static_cast<int>(overlap_height_ratio * slice_height);
  const int x_overlap = static_cast<int>(overlap_width_ratio * slice_width);
  return slice_bboxes_px(image_height, image_width, slice_height, slice_width, y_overlap, x_overlap);
}

SahiAutoParams sahi_auto_slice_params(int height, int width) {
  check_image_size(height, width, "sahi-auto");
  // get_auto_slice_params: factor <= 18 low, 19-20 medium, 21-23 high, >= 24 ultra-high.
  const int factor = resolution_factor(std::int64_t{height} * width);
  int slide = 0;
  double ratio = 1.0;
  SahiAutoParams p;
  if (factor <= 18) {
    p.resolution = "low";
  } else if (factor < 21) {
    p.resolution = "medium", slide = 1, ratio = 0.8;
  } else if (factor < 24) {
    p.resolution = "high", slide = 2, ratio = 0.4;
  } else {
    p.resolution = "ultra-high", slide = 4, ratio = 0.4;
  }
  // calc_ratio_and_slice: "horizontal" (width > height) splits the width into
  // 2 * slide and the height into slide; "vertical" the other way round; "square"
  // slide both ways. calc_slice_and_overlap_params then takes
  // slice_height = height // split_col and slice_width = width // split_row
  // (split_row is the count along the width). Low: one split, ratio 1.
  int split_row = 1, split_col = 1;
  if (slide > 0) {
    split_row = width > height ? 2 * slide : slide;
    split_col = width < height ? 2 * slide : slide;
  }
  p.slice_height = height / split_col;
  p.slice_width = width / split_row;
  p.overlap_width_ratio = p.overlap_height_ratio = ratio;
  p.overlap_width_px = static_cast<int>(p.slice_width * ratio);
  p.overlap_height_px = static_cast<int>(p.slice_height * ratio);
  return p;
}

std::vector<TileRect> sahi_auto_slice_bboxes(int height, int width) {
  const SahiAutoParams p = sahi_auto_slice_params(height, width);
  if (p.overlap_width_px >= p.slice_width || p.overlap_height_px >= p.slice_height) {
    // Only the low band (ratio 1) gets here; SAHI's loop then yields the one slice.
    return {TileRect{0, 0, width, height}};
  }
  return slice_bboxes_px(height, width, p.slice_height, p.slice_width, p.overlap_height_px,
                         p.overlap_width_px);
}

SlicePlan plan_slices(cv::Size frame, const SliceOptions& options, const PlannerContext& context) {
  if (frame.width <= 0 || frame.height <= 0) {
    throw Error("slice planning: frame size " + size_text(frame.width, frame.height) + " must be positive");
  }
  SlicePlan plan;
  switch (options.mode) {
  case SliceMode::kOff:
    plan.full_frame = true;
    plan.reason = "slicing off: full frame only";
    return plan;
  case SliceMode::kFixed:
    if (options.slice_width <= 0 || options.slice_height <= 0) {
      throw Error("fixed slicing: slice size " + size_text(options.slice_width, options.slice_height) +
                  " must be positive");
    }
    if (!(options.overlap >= 0.0 && options.overlap < 1.0)) {
      throw Error("fixed slicing: overlap " + std::to_string(options.overlap) + " must be in [0, 1)");
    }
    plan.tiles = sahi_slice_bboxes(frame.height, frame.width, options.slice_height, options.slice_width,
                                   options.overlap, options.overlap);
    // SAHI's get_sliced_prediction: the standard prediction runs only when
    // num_slices > 1 (one slice is the whole image already).
    plan.full_frame = options.full_frame.value_or(true) && plan.tiles.size() > 1;
    plan.reason = "fixed " + size_text(options.slice_width, options.slice_height) + " slices, overlap " +
                  std::to_string(static_cast<int>(options.overlap * options.slice_width)) + "x" +
                  std::to_string(static_cast<int>(options.overlap * options.slice_height)) +
                  " px (SAHI): " + tiles_text(plan);
    return plan;
  case SliceMode::kSahiAuto: {
    const SahiAutoParams p = sahi_auto_slice_params(frame.height, frame.width);
    plan.tiles = sahi_auto_slice_bboxes(frame.height, frame.width);
    plan.full_frame = options.full_frame.value_or(true) && plan.tiles.size() > 1;
    plan.reason = "sahi-auto (" + p.resolution + " resolution): " + size_text(p.slice_width, p.slice_height) +
                  " slices, overlap " + size_text(p.overlap_width_px, p.overlap_height_px) +
                  " px: " + tiles_text(plan);
    return plan;
  }
  case SliceMode::kAdaptive: return plan_adaptive(frame, options, context);
  }
  throw Error("slice planning: unknown slice mode");
}

void parse_slice_mode(const std::string& text, SliceOptions& options) {
  if (text == "off") {
    options.mode = SliceMode::kOff;
    return;
  }
  if (text == "adaptive") {
    options.mode = SliceMode::kAdaptive;
    return;
  }
  if (text == "sahi-auto") {
    options.mode = SliceMode::kSahiAuto;
    return;
  }
  // WxH, or a single number for square slices. Digits only: no signs, no spaces.
  const auto parse_int = [](const std::string& s, int& out) {
    if (s.empty() || s.size() > 6) return false;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    out = std::stoi(s);
    return out > 0;
  };
  const std::size_t x = text.find('x');
  int w = 0, h = 0;
  const bool ok = x == std::string::npos
                      ? parse_int(text, w) && (h = w, true)
                      : parse_int(text.substr(0, x), w) && parse_int(text.substr(x + 1), h);
  if (!ok) {
    throw Error("slice mode '" + text +
                "': expected off, adaptive, sahi-auto or a slice size WxH (e.g. 640x640)");
  }
  options.mode = SliceMode::kFixed;
  options.slice_width = w;
  options.slice_height = h;
}

} // namespace tilescope::tiling
