// A labelled small-object benchmark built from real imagery (`tilescope eval synth`).
//
// Method (deterministic for a given seed, model and media):
//  1. Object bank. The detector runs on frames of the sample video (vtest.avi:
//     pedestrians on a plaza, 768x576). A detection becomes a bank object when it
//     is confident (score >= min_bank_score), large (>= min_bank_height px tall),
//     clear of the frame border and of every other detection. Its mask comes from
//     background subtraction against the video's temporal median (the empty
//     plaza): pixels that differ from the median, cleaned by a morphological
//     close/open, largest connected piece. The tight box of that mask replaces
//     the detector's box.
//  2. Backgrounds. The video's median background and real photos (opencv-doc),
//     each scaled to cover the benchmark size, randomly cropped and mirrored.
//     Whatever the detector already finds of the bank's classes in a background
//     (full frame and 2x2 crops, score >= 0.3) becomes a crowd region
//     (iscrowd=1): detections there count neither for nor against a method.
//  3. Composition. Each image gets objects_min..objects_max bank objects, each
//     scaled so its longer side is drawn log-uniformly from [min_px, max_px],
//     placed at random where it overlaps no other object or crowd region, and
//     alpha-blended with its (area-resampled) mask.
//  4. Ground truth. COCO instances JSON: one annotation per pasted object, the
//     tight box of its blended mask (alpha >= 0.5), area = box width x height,
//     category = the bank class's name, id = model class id + 1.
#pragma once

#include "tilescope/detect/detector.h"

#include <cstdint>
#include <functional>
#include <map>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace tilescope::eval {

struct SynthOptions {
  cv::Size size{1920, 1080};
  int count = 40;              // images
  std::uint32_t seed = 1;      //
  int min_px = 8, max_px = 64; // longer side of a pasted object, pixels
  int objects_min = 8, objects_max = 16;
  std::string video_path;                    // object source and first background (the sample video)
  std::vector<std::string> background_paths; // more backgrounds (photos); unreadable ones are an error
  std::vector<int> classes{0};               // bank classes (model class ids); default: person
  float min_bank_score = 0.6f;
  int min_bank_height = 48;
  int bank_frame_step = 6; // every Nth video frame feeds the bank
  int bank_max_frames = 0; // read at most this many video frames (0: all)
};

struct SynthSummary {
  int images = 0;
  int objects = 0;
  int crowd_regions = 0;
  int bank_objects = 0;
  std::map<std::string, int> objects_per_class;
  std::string gt_path; // <out>/instances.json
};

// Writes <out>/images/synth_NNNN.jpg, <out>/instances.json and <out>/preview.jpg
// (the first image with its ground truth drawn). `progress(done, total)` is
// called after each image. Throws Error naming the file when media cannot be
// read, and when the video yields no bank object.
SynthSummary build_synth_benchmark(detect::Detector& detector, const SynthOptions& options,
                                   const std::string& out_dir,
                                   const std::function<void(int, int)>& progress = {});

// The opencv-doc photos used as extra backgrounds (those present on this machine).
std::vector<std::string> default_background_photos();

} // namespace tilescope::eval
