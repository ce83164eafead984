// Sliced inference over a Detector (tiled_detector.h has the steps).
#include "tilescope/tiling/tiled_detector.h"

#include "tilescope/core/error.h"
#include "tilescope/tiling/packed_views.h"

#include <algorithm>
#include <chrono>

namespace tilescope::tiling {
namespace {

constexpr double kNewestCostWeight = 0.3;
// A box side within this many model-input pixels of an inner tile border is cut
// (edge_cuts.h says why 12: 1.5 cells of a stride-8 head, and a measured case).
constexpr double kCutToleranceInputPx = 12.0;

void running_average(double& average, double sample) {
  if (!(sample > 0)) return;
  average = (average <= 0 || sample < 0.5 * average)
                ? sample
                : (1.0 - kNewestCostWeight) * average + kNewestCostWeight * sample;
}

} // namespace

TiledDetector::TiledDetector(detect::Detector& detector, SliceOptions slice, MergeOptions merge)
    : detector_(detector), slice_(std::move(slice)), merge_(merge),
      context_(PlannerContext::for_input(detector.input_size())) {
  check_merge_options(merge_);
}

SlicePlan TiledDetector::plan(cv::Size frame) const { return plan_slices(frame, slice_, context_); }

void TiledDetector::update_costs(const SlicePlan& plan, double run_ms, std::size_t views) {
  if (views == 0) return;
  const double per_view = run_ms / static_cast<double>(views);
  if (!plan.tiles.empty() || !plan.canvases.empty()) running_average(context_.per_tile_ms, per_view);
  if (plan.full_frame) running_average(context_.full_frame_ms, per_view);
}

TiledResult TiledDetector::detect(const cv::Mat& frame_bgr, const detect::DetectOptions& options) {
  if (frame_bgr.empty()) throw Error("tiled detection: the frame is empty");
  return detect(frame_bgr, options, plan(frame_bgr.size()));
}

TiledResult TiledDetector::detect(const cv::Mat& frame_bgr, const detect::DetectOptions& options,
                                  const SlicePlan& given_plan) {
  if (frame_bgr.empty()) throw Error("tiled detection: the frame is empty");
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed_ms = [&start] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };
  TiledResult result;
  result.plan = given_plan;
  const SlicePlan& plan = result.plan;
  if (plan.views() == 0) return result; // nothing to look at

  const cv::Rect frame_rect(0, 0, frame_bgr.cols, frame_bgr.rows);
  views_.clear();
  for (const TileRect& t : plan.tiles) {
    if (t.width() <= 0 || t.height() <= 0 || (t.rect() & frame_rect) != t.rect()) {
      throw Error("tiled detection: tile [" + std::to_string(t.x1) + ", " + std::to_string(t.y1) + ", " +
                  std::to_string(t.x2) + ", " + std::to_string(t.y2) + ") is not inside the " +
                  std::to_string(frame_bgr.cols) + "x" + std::to_string(frame_bgr.rows) + " frame");
    }
    views_.push_back(frame_bgr(t.rect()));
  }
  canvas_images_.resize(plan.canvases.size());
  const std::uint8_t fill = detector_.head().preprocess().pad_value;
  for (std::size_t c = 0; c < plan.canvases.size(); ++c) {
    render_canvas(frame_bgr, plan.canvases[c], detector_.input_size(), fill, canvas_images_[c]);
    views_.push_back(canvas_images_[c]);
  }
  if (plan.full_frame) views_.push_back(frame_bgr);
  detect::DetectResult run = detector_.detect(views_, options);
  result.timings = run.timings;

  if (plan.tiles.empty() && plan.canvases.empty()) {
    // The full frame alone: the detector's answer as it is.
    result.detections = std::move(run.detections_in_image.back());
    update_costs(plan, elapsed_ms(), views_.size());
    return result;
  }

  const auto t0 = std::chrono::steady_clock::now();
  const cv::Size frame = frame_bgr.size();
  const cv::Size input = detector_.input_size();
  float tolerance_px = 0;
  tile_boxes_.clear();
  // A box of view `index` (a tile, or a packed crop), in frame pixels, with its cut sides
  // against that view's rectangle (`box_in_view`: the box in the view's own pixels).
  const auto add = [&](const detect::Detection& in_frame, const detect::BoxXYXY& box_in_view,
                       const TileRect& view, int index, float tol) {
    tile_boxes_.push_back({in_frame, index, merge_.edge_cuts ? cut_sides(box_in_view, view, frame, tol) : 0});
  };
  for (std::size_t i = 0; i < plan.tiles.size(); ++i) {
    const TileRect& tile = plan.tiles[i];
    const double tile_scale = std::max(static_cast<double>(tile.width()) / input.width,
                                       static_cast<double>(tile.height()) / input.height);
    const auto tol = static_cast<float>(kCutToleranceInputPx * tile_scale);
    tolerance_px = std::max(tolerance_px, tol);
    const auto dx = static_cast<float>(tile.x1), dy = static_cast<float>(tile.y1);
    for (const detect::Detection& d : run.detections_in_image[i]) {
      detect::Detection in_frame = d;
      in_frame.box = {d.box.x1 + dx, d.box.y1 + dy, d.box.x2 + dx, d.box.y2 + dy};
      add(in_frame, d.box, tile, static_cast<int>(i), tol);
    }
  }
  // Packed crops: each crop is a tile of its own (indices after the plan's tiles).
  int crop_index = static_cast<int>(plan.tiles.size());
  for (std::size_t c = 0; c < plan.canvases.size(); ++c) {
    const PackedCanvas& canvas = plan.canvases[c];
    const auto tol = static_cast<float>(kCutToleranceInputPx * canvas.scale);
    tolerance_px = std::max(tolerance_px, tol);
    for (const PlacedDetection& p :
         map_canvas_detections(canvas, run.detections_in_image[plan.tiles.size() + c])) {
      add(p.detection, p.box_in_crop, canvas.placements[p.placement].crop,
          crop_index + static_cast<int>(p.placement), tol);
    }
    crop_index += static_cast<int>(canvas.placements.size());
  }
  if (plan.full_frame) {
    for (const detect::Detection& d : run.detections_in_image.back())
      tile_boxes_.push_back({d, -1, 0});
  }

  merge_tile_detections(tile_boxes_, merge_, tolerance_px, merger_, candidates_, result.detections);
  if (options.nms.max_detections >= 0 &&
      result.detections.size() > static_cast<std::size_t>(options.nms.max_detections)) {
    result.detections.resize(static_cast<std::size_t>(options.nms.max_detections));
  }
  result.timings.postprocess_ms +=
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  update_costs(plan, elapsed_ms(), views_.size());
  return result;
}

} // namespace tilescope::tiling
