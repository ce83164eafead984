// Packed crops (the rules are in packed_views.h).
#include "tilescope/tiling/packed_views.h"

#include "tilescope/core/error.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <opencv2/imgproc.hpp>

namespace tilescope::tiling {
namespace {

void check(const PackOptions& o) {
  if (o.canvas.width <= 0 || o.canvas.height <= 0) {
    throw Error("packed views: the canvas must have a positive size, got " + std::to_string(o.canvas.width) +
                "x" + std::to_string(o.canvas.height));
  }
  if (!(o.scale > 0) || !std::isfinite(o.scale)) {
    throw Error("packed views: scale must be > 0, got " + std::to_string(o.scale));
  }
  if (o.gap_px < 0) throw Error("packed views: gap_px must be >= 0, got " + std::to_string(o.gap_px));
}

// A crop's size in canvas pixels.
cv::Size in_canvas(const cv::Rect& crop, double scale) {
  return {static_cast<int>(std::ceil(crop.width / scale - 1e-9)),
          static_cast<int>(std::ceil(crop.height / scale - 1e-9))};
}

std::string describe(const cv::Rect& r) {
  return "[" + std::to_string(r.x) + ", " + std::to_string(r.y) + ", " + std::to_string(r.x + r.width) +
         ", " + std::to_string(r.y + r.height) + ")";
}

} // namespace

cv::Size max_crop_px(const PackOptions& options) {
  check(options);
  return {static_cast<int>(std::floor(options.canvas.width * options.scale + 1e-9)),
          static_cast<int>(std::floor(options.canvas.height * options.scale + 1e-9))};
}

bool fits(const cv::Rect& crop, const PackOptions& options) {
  check(options);
  const cv::Size s = in_canvas(crop, options.scale);
  return crop.width > 0 && crop.height > 0 && s.width <= options.canvas.width &&
         s.height <= options.canvas.height;
}

std::vector<cv::Rect> join_crops(std::vector<cv::Rect> crops, cv::Size max_crop, int join_px) {
  if (join_px < 0) throw Error("packed views: join_px must be >= 0, got " + std::to_string(join_px));
  std::erase_if(crops, [](const cv::Rect& r) { return r.width <= 0 || r.height <= 0; });
  // The distance between two rectangles (0 when they touch or overlap).
  const auto near = [join_px](const cv::Rect& a, const cv::Rect& b) {
    const int dx = std::max({0, a.x - (b.x + b.width), b.x - (a.x + a.width)});
    const int dy = std::max({0, a.y - (b.y + b.height), b.y - (a.y + a.height)});
    return std::max(dx, dy) <= join_px;
  };
  for (bool joined = true; joined;) {
    joined = false;
    for (std::size_t i = 0; i < crops.size() && !joined; ++i) {
      for (std::size_t j = i + 1; j < crops.size() && !joined; ++j) {
        const cv::Rect u = crops[i] | crops[j];
        if (!near(crops[i], crops[j]) || u.width > max_crop.width || u.height > max_crop.height) continue;
        crops[i] = u;
        crops.erase(crops.begin() + static_cast<std::ptrdiff_t>(j));
        joined = true;
      }
    }
  }
  return crops;
}

std::vector<PackedCanvas> pack_crops(const std::vector<cv::Rect>& crops, const PackOptions& options) {
  check(options);
  for (const cv::Rect& c : crops) {
    if (!fits(c, options)) {
      throw Error("packed views: crop " + describe(c) + " does not fit a " +
                  std::to_string(options.canvas.width) + "x" + std::to_string(options.canvas.height) +
                  " canvas at scale " + std::to_string(options.scale));
    }
  }
  std::vector<std::size_t> order(crops.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return in_canvas(crops[a], options.scale).height > in_canvas(crops[b], options.scale).height;
  });

  // Which shelf of which canvas each crop goes on (sizes only; places come after).
  struct Shelf {
    int height = 0, used = 0; // used: widths + gaps so far
    std::vector<std::size_t> crops;
  };
  struct Canvas {
    int used = 0; // shelf heights + gaps so far
    std::vector<Shelf> shelves;
  };
  std::vector<Canvas> canvases;
  const int W = options.canvas.width, H = options.canvas.height, gap = options.gap_px;
  for (const std::size_t i : order) {
    const cv::Size s = in_canvas(crops[i], options.scale);
    bool placed = false;
    for (std::size_t c = 0; c < canvases.size() && !placed; ++c) {
      for (Shelf& shelf : canvases[c].shelves) {
        if (s.height <= shelf.height && shelf.used + gap + s.width <= W) {
          shelf.used += gap + s.width;
          shelf.crops.push_back(i);
          placed = true;
          break;
        }
      }
    }
    for (std::size_t c = 0; c < canvases.size() && !placed; ++c) {
      if (canvases[c].used + gap + s.height <= H) {
        canvases[c].used += gap + s.height;
        canvases[c].shelves.push_back({s.height, s.width, {i}});
        placed = true;
      }
    }
    if (!placed) canvases.push_back({s.height, {{s.height, s.width, {i}}}});
  }

  // Places. A crop on a frame edge goes to the same edge of the canvas where it can (the
  // detector sees an object cut by the frame as it does in a tile: at the input's edge,
  // not against fill): on its shelf, left-edge crops first and right-edge crops last,
  // flush right; shelves holding top-edge crops first, those holding bottom-edge crops
  // last, the last one flush with the canvas bottom, and bottom-edge crops at the
  // bottom of their shelf.
  const cv::Size frame = options.frame;
  enum Side { kLeft, kTop, kRight, kBottom };
  const auto on = [&](std::size_t i, Side side) {
    if (frame.width <= 0 || frame.height <= 0) return false;
    const cv::Rect& r = crops[i];
    switch (side) {
    case kLeft: return r.x <= 0;
    case kTop: return r.y <= 0;
    case kRight: return r.x + r.width >= frame.width;
    case kBottom: return r.y + r.height >= frame.height;
    }
    return false;
  };
  std::vector<PackedCanvas> out;
  for (Canvas& canvas : canvases) {
    const auto shelf_rank = [&](const Shelf& shelf) {
      const auto any = [&](Side side) {
        return std::any_of(shelf.crops.begin(), shelf.crops.end(),
                           [&](std::size_t i) { return on(i, side); });
      };
      return any(kTop) ? 0 : any(kBottom) ? 2 : 1;
    };
    std::stable_sort(canvas.shelves.begin(), canvas.shelves.end(),
                     [&](const Shelf& a, const Shelf& b) { return shelf_rank(a) < shelf_rank(b); });
    PackedCanvas packed;
    packed.scale = options.scale;
    int y = 0;
    for (std::size_t k = 0; k < canvas.shelves.size(); ++k) {
      Shelf& shelf = canvas.shelves[k];
      const bool last = k + 1 == canvas.shelves.size();
      const int shelf_y = last && shelf_rank(shelf) == 2 ? H - shelf.height : y;
      y += shelf.height + gap;
      const auto crop_rank = [&](std::size_t i) { return on(i, kLeft) ? 0 : on(i, kRight) ? 2 : 1; };
      std::stable_sort(shelf.crops.begin(), shelf.crops.end(),
                       [&](std::size_t a, std::size_t b) { return crop_rank(a) < crop_rank(b); });
      // Left to right; the right-edge crops at the end are laid from the right.
      int right = W;
      std::vector<int> xs(shelf.crops.size());
      for (std::size_t j = shelf.crops.size(); j-- > 0 && crop_rank(shelf.crops[j]) == 2;) {
        xs[j] = right - in_canvas(crops[shelf.crops[j]], options.scale).width;
        right = xs[j] - gap;
      }
      int x = 0;
      for (std::size_t j = 0; j < shelf.crops.size() && crop_rank(shelf.crops[j]) != 2; ++j) {
        xs[j] = x;
        x += in_canvas(crops[shelf.crops[j]], options.scale).width + gap;
      }
      for (std::size_t j = 0; j < shelf.crops.size(); ++j) {
        const std::size_t i = shelf.crops[j];
        const cv::Size s = in_canvas(crops[i], options.scale);
        const int cy = on(i, kBottom) ? shelf_y + shelf.height - s.height : shelf_y;
        packed.placements.push_back(
            {{crops[i].x, crops[i].y, crops[i].x + crops[i].width, crops[i].y + crops[i].height},
             {xs[j], cy}});
      }
    }
    out.push_back(std::move(packed));
  }
  return out;
}

void render_canvas(const cv::Mat& frame, const PackedCanvas& canvas, cv::Size canvas_size, std::uint8_t fill,
                   cv::Mat& out) {
  out.create(canvas_size, frame.type());
  out.setTo(cv::Scalar::all(fill));
  const cv::Rect frame_rect(0, 0, frame.cols, frame.rows);
  for (const Placement& p : canvas.placements) {
    const cv::Rect crop = p.crop.rect();
    if (crop.empty() || (crop & frame_rect) != crop) {
      throw Error("packed views: crop " + describe(crop) + " is not inside the " +
                  std::to_string(frame.cols) + "x" + std::to_string(frame.rows) + " frame");
    }
    const cv::Size s = in_canvas(crop, canvas.scale);
    const cv::Rect place(p.at, s);
    if ((place & cv::Rect({0, 0}, canvas_size)) != place) {
      throw Error("packed views: crop " + describe(crop) + " placed outside the canvas");
    }
    cv::Mat dst = out(place);
    if (s == crop.size()) {
      frame(crop).copyTo(dst);
    } else {
      cv::resize(frame(crop), dst, s, 0, 0, s.area() < crop.area() ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
  }
}

std::vector<PlacedDetection> map_canvas_detections(const PackedCanvas& canvas,
                                                   const std::vector<detect::Detection>& in_canvas_boxes) {
  std::vector<PlacedDetection> out;
  const auto k = static_cast<float>(canvas.scale);
  for (const detect::Detection& d : in_canvas_boxes) {
    const float cx = 0.5f * (d.box.x1 + d.box.x2), cy = 0.5f * (d.box.y1 + d.box.y2);
    for (std::size_t i = 0; i < canvas.placements.size(); ++i) {
      const Placement& p = canvas.placements[i];
      const cv::Size s = in_canvas(p.crop.rect(), canvas.scale);
      const float x0 = static_cast<float>(p.at.x), y0 = static_cast<float>(p.at.y);
      const float x1 = x0 + static_cast<float>(s.width), y1 = y0 + static_cast<float>(s.height);
      if (cx < x0 || cx >= x1 || cy < y0 || cy >= y1) continue;
      // Clipped to the placement, in crop pixels (a crop's last canvas pixel may hold less
      // than `scale` frame pixels: clip again to the crop).
      const float cw = static_cast<float>(p.crop.width()), ch = static_cast<float>(p.crop.height());
      const detect::BoxXYXY local{std::clamp((std::max(d.box.x1, x0) - x0) * k, 0.0f, cw),
                                  std::clamp((std::max(d.box.y1, y0) - y0) * k, 0.0f, ch),
                                  std::clamp((std::min(d.box.x2, x1) - x0) * k, 0.0f, cw),
                                  std::clamp((std::min(d.box.y2, y1) - y0) * k, 0.0f, ch)};
      if (local.area() <= 0) break;
      PlacedDetection placed;
      placed.detection = d;
      placed.box_in_crop = local;
      const auto dx = static_cast<float>(p.crop.x1), dy = static_cast<float>(p.crop.y1);
      placed.detection.box = {local.x1 + dx, local.y1 + dy, local.x2 + dx, local.y2 + dy};
      placed.placement = i;
      out.push_back(placed);
      break;
    }
  }
  return out;
}

} // namespace tilescope::tiling
