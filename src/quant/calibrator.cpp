#include "calibrator.h"

#include "tilescope/core/error.h"
#include "tilescope/detect/head.h"
#include "tilescope/detect/letterbox.h"
#include "tilescope/engine/session.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <set>

namespace tilescope::quant {
namespace {

namespace fs = std::filesystem;

// Bins of the histograms behind the percentile method: at 4096 bins over the
// observed range a bin is < 0.03 % of it, far below one uint8 step (0.4 %).
constexpr int kHistogramBins = 4096;

struct Stats {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  std::vector<std::uint64_t> histogram; // over [min, max] of the first pass
  std::uint64_t count = 0;
};

engine::Shape input_shape(const engine::Graph& model, int input_size) {
  if (model.inputs.size() != 1) {
    throw Error("the model has " + std::to_string(model.inputs.size()) +
                " inputs; calibration on images needs exactly one [1,3,H,W] input");
  }
  const engine::ValueInfo& in = model.inputs[0];
  if (in.dtype != engine::DType::kFloat32 || !in.has_shape || in.dims.size() != 4) {
    throw Error("input '" + in.name + "' is not a float32 [N,3,H,W] tensor; calibration feeds images");
  }
  engine::Shape shape;
  for (std::size_t i = 0; i < 4; ++i) {
    const engine::Dim& d = in.dims[i];
    shape.push_back(d.is_static() ? d.value : (i == 0 ? 1 : input_size));
  }
  if (shape[0] != 1 || shape[1] != 3) {
    throw Error("input '" + in.name + "' has shape " + engine::shape_str(shape) +
                "; calibration needs [1,3,H,W]");
  }
  return shape;
}

// The preprocessing of the model's head (as the detector does), or
// Ultralytics' when no head recognises the model.
detect::PreprocessSpec preprocess_spec(const engine::Graph& model, const engine::Graph& compiled,
                                       std::vector<std::string>& notes) {
  detect::ModelSignature signature = detect::signature_with_compiled_shapes(model, compiled);
  try {
    auto head = detect::HeadRegistry::instance().create("auto", signature);
    notes.push_back("images preprocessed for the " + std::string(head->name()) + " head");
    return head->preprocess();
  } catch (const Error& e) {
    notes.push_back(std::string("no detection head recognised (") + e.what() +
                    "); images preprocessed as for Ultralytics models");
    return detect::PreprocessSpec::ultralytics();
  }
}

// The value `value` of the last run: the fed input, or a captured node output.
const engine::Tensor* find_value(const std::string& value, const std::string& input_name,
                                 const engine::Tensor& input,
                                 const std::map<std::string, engine::Tensor>& captured) {
  if (value == input_name) return &input;
  auto it = captured.find(value);
  return it == captured.end() ? nullptr : &it->second;
}

class Runner {
public:
  Runner(const std::string& model_path, const engine::Graph& model, const std::vector<std::string>& values,
         const QuantizeOptions& options, std::vector<std::string>& notes)
      : values_(values), input_name_(model.inputs.at(0).name),
        shape_(input_shape(model, options.input_size)) {
    options_.backend = engine::Backend::kOnednn;
    options_.threads = options.threads;
    options_.capture_values = true;
    options_.input_shapes[input_name_] = shape_;
    session_ = open(model, model_path);
    spec_ = preprocess_spec(model, session_->compiled_graph(), notes);
    model_ = &model;
    model_path_ = model_path;
  }

  // Runs one image; calls f(value, tensor) for every wanted value.
  template <class F> void run(const std::string& image_path, F&& f) {
    const cv::Mat image = cv::imread(image_path, cv::IMREAD_COLOR);
    if (image.empty()) throw Error(image_path + ": cannot read the image");
    engine::Tensor input(engine::DType::kFloat32, shape_);
    detect::Preprocessor preprocessor(spec_);
    preprocessor.fill(image, input, 0);
    std::map<std::string, engine::Tensor> captured = run_session(input);
    std::vector<std::string> missing;
    for (const std::string& v : values_) {
      if (find_value(v, input_name_, input, captured) == nullptr) missing.push_back(v);
    }
    if (!missing.empty() && options_.fuse) {
      // A fused step kept some value inside it: capture from the unfused graph.
      options_.fuse = false;
      session_ = open(*model_, model_path_);
      captured = run_session(input);
      missing.clear();
      for (const std::string& v : values_) {
        if (find_value(v, input_name_, input, captured) == nullptr) missing.push_back(v);
      }
    }
    if (!missing.empty()) {
      throw Error("calibration: the engine kept no copy of value '" + missing.front() + "' (and " +
                  std::to_string(missing.size() - 1) + " more)");
    }
    for (const std::string& v : values_)
      f(v, *find_value(v, input_name_, input, captured));
  }

private:
  std::unique_ptr<engine::Session> open(const engine::Graph& model, const std::string& path) {
    try {
      return std::make_unique<engine::Session>(engine::Session::from_graph(model.clone(), options_));
    } catch (const Error& e) {
      throw Error(path + ": " + e.what());
    }
  }
  std::map<std::string, engine::Tensor> run_session(const engine::Tensor& input) {
    session_->run({{input_name_, &input}});
    return session_->take_captured();
  }

  const std::vector<std::string>& values_;
  std::string input_name_;
  engine::Shape shape_;
  engine::SessionOptions options_;
  std::unique_ptr<engine::Session> session_;
  detect::PreprocessSpec spec_;
  const engine::Graph* model_ = nullptr;
  std::string model_path_;
};

void check_float(const std::string& value, const engine::Tensor& t) {
  if (t.dtype() != engine::DType::kFloat32) {
    throw Error("calibration: value '" + value + "' is " + std::string(engine::dtype_name(t.dtype())) +
                ", not float32; only float32 activations are quantized");
  }
}

// The value at quantile q (0..1) of the histogram over [s.min, s.max]: the
// upper edge of the bin where the cumulative count reaches q (so q = 1 gives
// s.max); `lower_edge` gives that bin's lower edge instead (so q = 0 gives s.min).
float quantile(const Stats& s, double q, bool lower_edge) {
  const double target = q * static_cast<double>(s.count);
  std::uint64_t seen = 0;
  const double bin_width = (static_cast<double>(s.max) - s.min) / kHistogramBins;
  for (int b = 0; b < kHistogramBins; ++b) {
    seen += s.histogram[static_cast<std::size_t>(b)];
    if (static_cast<double>(seen) >= target && seen > 0)
      return static_cast<float>(s.min + bin_width * (lower_edge ? b : b + 1));
  }
  return s.max;
}

} // namespace

std::vector<std::string> calibration_images(const QuantizeOptions& options) {
  const std::string& dir = options.calibration_dir;
  if (dir.empty()) throw Error("--calib: no calibration folder given");
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw Error("--calib " + dir + ": no such folder");
  if (!fs::is_directory(dir, ec)) throw Error("--calib " + dir + ": not a folder of images");
  if (options.max_images <= 0) throw Error("--n must be > 0, got " + std::to_string(options.max_images));
  static const std::set<std::string> kExtensions = {".jpg", ".jpeg", ".png", ".bmp",
                                                    ".tif", ".tiff", ".webp"};
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (entry.is_regular_file() && kExtensions.count(ext) != 0) files.push_back(entry.path().string());
  }
  if (ec) throw Error("--calib " + dir + ": cannot list the folder: " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty())
    throw Error("--calib " + dir + ": no images in the folder (jpg, jpeg, png, bmp, tif, tiff, webp)");
  if (files.size() > static_cast<std::size_t>(options.max_images))
    files.resize(static_cast<std::size_t>(options.max_images));
  return files;
}

CalibrationResult calibrate(const std::string& model_path, const engine::Graph& model,
                            const std::vector<std::string>& values, const QuantizeOptions& options) {
  CalibrationResult result;
  const std::vector<std::string> images = calibration_images(options);
  Runner runner(model_path, model, values, options, result.notes);
  std::map<std::string, Stats> stats;

  // Pass 1: min / max.
  for (const std::string& image : images) {
    runner.run(image, [&](const std::string& v, const engine::Tensor& t) {
      check_float(v, t);
      Stats& s = stats[v];
      for (float x : t.values<float>()) {
        if (std::isnan(x)) continue;
        s.min = std::min(s.min, x);
        s.max = std::max(s.max, x);
      }
    });
  }
  result.images = static_cast<int>(images.size());

  if (options.method == CalibrationMethod::kPercentile) {
    if (!(options.percentile > 50.0 && options.percentile <= 100.0)) {
      throw Error("--percentile must be in (50, 100], got " + std::to_string(options.percentile));
    }
    // Pass 2: histograms over the range of pass 1 (the images again: keeping
    // every input would hold N x 4.9 MB at 640x640).
    for (auto& [v, s] : stats)
      s.histogram.assign(kHistogramBins, 0);
    for (const std::string& image : images) {
      runner.run(image, [&](const std::string& v, const engine::Tensor& t) {
        Stats& s = stats[v];
        const double width = static_cast<double>(s.max) - s.min;
        for (float x : t.values<float>()) {
          if (std::isnan(x)) continue;
          int b = width > 0 ? static_cast<int>((x - s.min) / width * kHistogramBins) : 0;
          b = std::clamp(b, 0, kHistogramBins - 1);
          ++s.histogram[static_cast<std::size_t>(b)];
          ++s.count;
        }
      });
    }
  }

  for (const auto& [v, s] : stats) {
    if (s.min > s.max) throw Error("calibration: value '" + v + "' held no numbers (all NaN)");
    if (options.method == CalibrationMethod::kPercentile && s.count > 0) {
      const double q = options.percentile / 100.0;
      result.ranges[v] = {std::max(s.min, quantile(s, 1.0 - q, true)),
                          std::min(s.max, quantile(s, q, false))};
    } else {
      result.ranges[v] = {s.min, s.max};
    }
  }
  return result;
}

} // namespace tilescope::quant
