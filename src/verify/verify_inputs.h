// The inputs a verification feeds both backends (internal to src/verify).
#pragma once

#include "tilescope/detect/letterbox.h"
#include "tilescope/engine/graph.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tilescope::verify {

struct VerifyInput {
  std::string name; // "random #0" or the image file
  std::map<std::string, engine::Tensor> tensors;
};

// Static shapes for the model's inputs: its own dims, with a dynamic batch
// (dim 0 of a 4-D input) set to 1 and dynamic height / width (dims 2, 3) to
// `imgsz`. Throws Error naming the input and dim for anything else dynamic.
std::map<std::string, engine::Shape> static_input_shapes(const engine::Graph& model, int imgsz);

// n inputs of uniform [0, 1) floats from one generator seeded with `seed`.
// Throws Error for a non-float32 input.
std::vector<VerifyInput> random_inputs(const engine::Graph& model,
                                       const std::map<std::string, engine::Shape>& shapes, int n,
                                       std::uint64_t seed);

// The first n images of `dir` by file name (jpg, jpeg, png, bmp, tif, tiff,
// webp), letterboxed with `spec` into the model's one [1, 3, H, W] input.
// Throws Error naming the folder or file that cannot be used.
std::vector<VerifyInput> image_inputs(const std::string& dir, const engine::Graph& model,
                                      const std::map<std::string, engine::Shape>& shapes, int n,
                                      const detect::PreprocessSpec& spec);

} // namespace tilescope::verify
