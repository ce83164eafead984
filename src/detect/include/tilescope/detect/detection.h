// Detection results. A box is stored as corners in some pixel space; the space is
// never implicit: functions and variables name it (box_in_input for the model's
// input tensor, box_in_image for the original image, box_in_tile, box_in_frame).
#pragma once

namespace tilescope::detect {

// Axis-aligned box, corners in pixels: (x1, y1) top-left, (x2, y2) bottom-right,
// x to the right, y down. Continuous coordinates: a W-pixel-wide image spans
// x in [0, W] (Ultralytics' convention), so a box's width is x2 - x1.
struct BoxXYXY {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;

  float width() const { return x2 - x1; }
  float height() const { return y2 - y1; }
  // Area in square pixels; 0 for empty or inverted boxes.
  float area() const { return width() > 0 && height() > 0 ? width() * height() : 0.0f; }
  friend bool operator==(const BoxXYXY&, const BoxXYXY&) = default;
};

// Intersection over union in [0, 1]; 0 when both boxes are empty.
double iou(const BoxXYXY& a, const BoxXYXY& b);

// One detected object. Which pixel space `box` is in is stated by whoever hands it out.
struct Detection {
  BoxXYXY box;
  float score = 0;  // confidence in [0, 1] (YOLOv5: objectness x class probability)
  int class_id = 0; // index into the model's class names
  friend bool operator==(const Detection&, const Detection&) = default;
};

} // namespace tilescope::detect
