// Pictures of what a camera saw: the live view's frame with tracked objects
// ("person #3 0.87", class colours) and, optionally, the tiles that ran; event
// snapshots; JPEG encoding.
#pragma once

#include "tilescope/pipeline/system.h"
#include "tilescope/tiling/plan.h"

#include <opencv2/core.hpp>
#include <vector>

namespace tilescope::pipeline {

inline constexpr int kJpegQuality = 85; // live view and snapshots: small files, no visible blocking

// "person #3 0.87"; "person 0.87" for track id 0.
std::string object_label(const std::string& label, int track_id, float score);
// Draws onto `image` (frame pixels) in place.
void draw_objects(cv::Mat& image, const std::vector<TrackedObject>& objects);
// Thin outlines of the tiles that ran (the full frame is not drawn).
void draw_tiles(cv::Mat& image, const std::vector<tiling::TileRect>& tiles);
// Throws Error when OpenCV cannot encode the image.
std::vector<unsigned char> encode_jpeg(const cv::Mat& image_bgr, int quality = kJpegQuality);

} // namespace tilescope::pipeline
