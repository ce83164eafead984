// Packed crops: several small regions of a frame in one model input.
//
// A gated live camera (region_plan.h) often needs to look at a few small places only: a
// person walking, a blob of motion. With a fixed-input model (NanoDet-m: 416x416) a tile
// costs a whole input however little of it matters, and the full-frame pass sees every
// person at the frame's coarse scale. Packing copies each crop into a canvas of the model
// input's size at the tiles' scale (`scale` frame pixels per canvas pixel; 1 when the
// tiles are the model input's size), side by side with `gap_px` of letterbox fill between
// them, so one engine run looks at many crops at the tiles' resolution.
//
//   std::vector<cv::Rect> crops = join_crops(regions, max_crop_px(o), join_px);
//   std::vector<PackedCanvas> canvases = pack_crops(crops, o);   // crops that fit()
//   render_canvas(frame, canvases[0], o.canvas, fill, image);   // -> detector
//   map_canvas_detections(canvases[0], boxes_in_canvas);         // -> frame pixels
//
// The rules
//   join   two crops that overlap or come within join_px of each other become their
//          enclosing box when that still fits a canvas (an object between them is then
//          whole in one crop; a group of people is one crop). Repeated until no pair joins.
//   pack   shelves, tallest crop first: a crop goes on the first shelf (of the first
//          canvas) with room; else on a new shelf of the first canvas with room; else in
//          a new canvas. Crops keep gap_px from each other (not from the canvas border:
//          the letterbox fill is beyond it anyway). Then places: with PackOptions::frame,
//          a crop on a frame edge goes to that edge of the canvas where it can, so an
//          object the frame cuts meets the input's edge, as in a tile, not the fill: on
//          its shelf left-edge crops come first and right-edge crops last, flush right;
//          shelves holding a top-edge crop come first, those holding a bottom-edge crop
//          last, the last one flush with the canvas bottom, and a bottom-edge crop sits
//          at the bottom of its shelf.
//   map    a canvas box belongs to the placement holding its centre (boxes centred in a
//          gap are dropped: they are fill), is clipped to it and moved to frame pixels.
//          A crop border that is not the frame's cuts objects like a tile border does, so
//          the caller applies the edge-cut rule with the crop as the tile (edge_cuts.h).
// Deterministic: the same crops give the same canvases.
#pragma once

#include "tilescope/detect/detection.h"
#include "tilescope/tiling/plan.h"

#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

namespace tilescope::tiling {

struct PackOptions {
  cv::Size canvas{416, 416}; // the model input (width, height)
  double scale = 1.0;        // frame pixels per canvas pixel (> 0): the tiles' scale
  int gap_px = 16;           // canvas pixels between crops (two cells of a stride-8 head), >= 0
  // The frame the crops come from; when given, crops on a frame edge go to the same edge
  // of the canvas where they can (the pack rule). Empty: no such preference.
  cv::Size frame;
};

// The largest crop (frame pixels) that fits a canvas.
cv::Size max_crop_px(const PackOptions& options);
// Whether a crop fits a canvas whole at the options' scale.
bool fits(const cv::Rect& crop, const PackOptions& options);

// The join rule over crops (frame pixels; empty ones are dropped). Throws Error for a
// negative join_px.
std::vector<cv::Rect> join_crops(std::vector<cv::Rect> crops, cv::Size max_crop, int join_px);

// The pack rule: every crop in some canvas. Throws Error for a crop that does not fit()
// or options out of range.
std::vector<PackedCanvas> pack_crops(const std::vector<cv::Rect>& crops, const PackOptions& options);

// The canvas image (8-bit, the frame's type, options.canvas in size): `fill` everywhere,
// each crop resized into its place. Throws Error for a crop outside the frame.
void render_canvas(const cv::Mat& frame, const PackedCanvas& canvas, cv::Size canvas_size, std::uint8_t fill,
                   cv::Mat& out);

// One detection of a packed canvas in frame pixels, with the placement it came from and
// its box in that crop's pixels (for the edge-cut rule).
struct PlacedDetection {
  detect::Detection detection; // box in frame pixels
  detect::BoxXYXY box_in_crop; // the same box in crop pixels (frame scale)
  std::size_t placement = 0;   // index into canvas.placements
};

// The map rule over one canvas's detections (boxes in canvas pixels).
std::vector<PlacedDetection> map_canvas_detections(const PackedCanvas& canvas,
                                                   const std::vector<detect::Detection>& in_canvas);

} // namespace tilescope::tiling
