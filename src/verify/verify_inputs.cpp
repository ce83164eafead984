#include "verify_inputs.h"

#include "tilescope/core/error.h"

#include <algorithm>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <set>

namespace tilescope::verify {

namespace fs = std::filesystem;

std::map<std::string, engine::Shape> static_input_shapes(const engine::Graph& model, int imgsz) {
  if (imgsz <= 0) throw Error("image size must be > 0, got " + std::to_string(imgsz));
  std::map<std::string, engine::Shape> shapes;
  for (const engine::ValueInfo& in : model.inputs) {
    if (!in.has_shape) throw Error("input '" + in.name + "' has no shape in the model");
    engine::Shape shape;
    for (std::size_t i = 0; i < in.dims.size(); ++i) {
      const engine::Dim& d = in.dims[i];
      if (d.is_static()) {
        shape.push_back(d.value);
      } else if (in.dims.size() == 4 && i == 0) {
        shape.push_back(1);
      } else if (in.dims.size() == 4 && (i == 2 || i == 3)) {
        shape.push_back(imgsz);
      } else {
        throw Error("input '" + in.name + "' dim " + std::to_string(i) + " (" +
                    (d.symbol.empty() ? "?" : d.symbol) +
                    ") is dynamic; only the batch and the height / width of a 4-D input can be chosen");
      }
    }
    shapes[in.name] = shape;
  }
  return shapes;
}

std::vector<VerifyInput> random_inputs(const engine::Graph& model,
                                       const std::map<std::string, engine::Shape>& shapes, int n,
                                       std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<VerifyInput> inputs;
  for (int i = 0; i < n; ++i) {
    VerifyInput input;
    input.name = "random #" + std::to_string(i);
    for (const engine::ValueInfo& in : model.inputs) {
      if (in.dtype != engine::DType::kFloat32) {
        throw Error("input '" + in.name + "' is " + std::string(engine::dtype_name(in.dtype)) +
                    ": random inputs are float32 only");
      }
      engine::Tensor t(engine::DType::kFloat32, shapes.at(in.name));
      for (float& v : t.values<float>())
        v = uniform(rng);
      input.tensors.emplace(in.name, std::move(t));
    }
    inputs.push_back(std::move(input));
  }
  return inputs;
}

std::vector<VerifyInput> image_inputs(const std::string& dir, const engine::Graph& model,
                                      const std::map<std::string, engine::Shape>& shapes, int n,
                                      const detect::PreprocessSpec& spec) {
  if (!fs::is_directory(dir)) throw Error(dir + ": not a folder of images (or use --inputs random)");
  if (model.inputs.size() != 1) {
    throw Error("the model has " + std::to_string(model.inputs.size()) +
                " inputs; image inputs need exactly one [1,3,H,W] input");
  }
  const engine::ValueInfo& in = model.inputs[0];
  const engine::Shape& shape = shapes.at(in.name);
  if (in.dtype != engine::DType::kFloat32 || shape.size() != 4 || shape[0] != 1 || shape[1] != 3) {
    throw Error("input '" + in.name + "' is " + std::string(engine::dtype_name(in.dtype)) + " " +
                engine::shape_str(shape) + "; image inputs need float32 [1,3,H,W]");
  }
  static const std::set<std::string> kExtensions = {".jpg", ".jpeg", ".png", ".bmp",
                                                    ".tif", ".tiff", ".webp"};
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (entry.is_regular_file() && kExtensions.count(ext)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Error(dir + ": no images (jpg, jpeg, png, bmp, tif, tiff, webp)");
  if (files.size() > static_cast<std::size_t>(n)) files.resize(static_cast<std::size_t>(n));

  detect::Preprocessor preprocessor(spec);
  std::vector<VerifyInput> inputs;
  for (const fs::path& file : files) {
    const cv::Mat image = cv::imread(file.string(), cv::IMREAD_COLOR);
    if (image.empty()) throw Error(file.string() + ": cannot read the image");
    engine::Tensor t(engine::DType::kFloat32, shape);
    preprocessor.fill(image, t, 0);
    VerifyInput input;
    input.name = file.filename().string();
    input.tensors.emplace(in.name, std::move(t));
    inputs.push_back(std::move(input));
  }
  return inputs;
}

} // namespace tilescope::verify
