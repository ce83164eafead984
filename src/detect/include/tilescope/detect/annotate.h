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

} // namespace tilescope::detect
