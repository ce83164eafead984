// Drawing detections onto frames: a box per detection in its class's colour,
// with "name 0.87" on a filled label. Used by `tilescope detect` outputs and the
// live MJPEG stream alike.
#pragma once

#include "tilescope/detect/detection.h"

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace tilescope::detect {

// A distinct, stable colour per class id (BGR).
cv::Scalar class_colour(int class_id);

// Draws `detections_in_image` (boxes in `image`'s pixels) onto `image` in place.
// Line width and font scale follow the image size so labels stay legible on 4K
// frames and on thumbnails.
void annotate(cv::Mat& image, const std::vector<Detection>& detections_in_image,
              const std::vector<std::string>& class_names);

// One box with `label` on a filled tag above it (inside it at the top edge), sized
// like annotate()'s; annotate() draws each detection with it ("name 0.87"), the live
// view with the track id ("person #3 0.87").
void draw_labelled_box(cv::Mat& image, const BoxXYXY& box_in_image, const cv::Scalar& colour,
                       const std::string& label);

} // namespace tilescope::detect
