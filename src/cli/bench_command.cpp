// `tilescope bench model`: latency and memory of one model on random input.
// With several precisions (--precision fp32,bf16) the sessions run in turn,
// one timed run each per round, so that every precision sees the same load.
#include "commands.h"
#include "default_model.h"
#include "detector_options.h"
#include "tilescope/detect/detector.h"
#include "tilescope/engine/onnx_import.h"
#include "tilescope/engine/session.h"
#include "tilescope/video/video_reader.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>
#include <sys/resource.h>

namespace tilescope::cli {
namespace {

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double pos = p * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0; // ru_maxrss is in KiB on Linux
}

// The input shape for a [N,C,H,W] image input: batch and spatial size from the
// options, channels (and anything else static) from the model.
engine::Shape bench_shape(const engine::ValueInfo& in, int batch, const std::string& size) {
  engine::Shape shape;
  for (const auto& d : in.dims)
    shape.push_back(d.value);
  if (!in.has_shape || shape.empty()) throw Error("input '" + in.name + "' has no shape; cannot benchmark");
  shape[0] = batch;
  if (!size.empty()) {
    std::smatch m;
    if (!std::regex_match(size, m, std::regex(R"((\d+)x(\d+))")) || shape.size() != 4) {
      throw Error("--input-size " + size + ": expected HxW for a 4-D image input");
    }
    shape[2] = std::stoll(m[1]);
    shape[3] = std::stoll(m[2]);
  }
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      throw Error("input '" + in.name + "' dimension " + std::to_string(i) +
                  " is dynamic: give --input-size HxW");
    }
  }
  return shape;
}

} // namespace

void add_bench_commands(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  auto* model =
      bench->add_subcommand("model", "Latency (median, p90) and peak memory of a model on random input");
  static std::string path, size, backend = "onednn", precisions = "fp32";
  static int batch = 1, threads = 0, iters = 50, warmup = 5;
  static bool json = false;
  model->add_option("model", path, "ONNX file or TF.js model.json")->required();
  model->add_option("--input-size", size, "HxW of the image input (default: the model's)");
  model->add_option("--batch", batch, "Batch size")->check(CLI::Range(1, 256));
  model->add_option("--threads", threads, "Threads (0 = all cores)");
  model->add_option("--iters", iters, "Timed runs")->check(CLI::Range(1, 100000));
  model->add_option("--warmup", warmup, "Untimed runs first")->check(CLI::Range(0, 1000));
  model->add_option("--backend", backend, "reference | onednn")
      ->check(CLI::IsMember({"reference", "onednn"}));
  model
      ->add_option("--precision", precisions,
                   "fp32 | bf16 | int8, or several comma-separated (fp32,bf16) timed in turn")
      ->capture_default_str();
  model->add_flag("--json", json, "Print one JSON object (one line per precision)");
  model->callback([] {
    const engine::Graph graph = engine::load_model(path);
    if (graph.inputs.size() != 1) throw Error(path + ": bench model supports single-input models");
    const engine::Shape shape = bench_shape(graph.inputs[0], batch, size);
    std::vector<std::string> names;
    std::stringstream list(precisions);
    for (std::string item; std::getline(list, item, ',');)
      names.push_back(item);
    if (names.empty()) throw Error("--precision: give at least one of fp32, bf16, int8");

    struct Run {
      std::string precision;
      engine::Session session;
      double load_ms = 0;
      std::vector<double> ms;
    };
    std::vector<Run> runs;
    for (const std::string& name : names) {
      engine::SessionOptions options;
      options.backend = *engine::parse_backend(backend);
      options.threads = threads;
      options.precision = precision_flag(name);
      options.input_shapes[graph.inputs[0].name] = shape;
      const auto t_load = std::chrono::steady_clock::now();
      engine::Session session = [&] {
        try {
          return engine::Session::from_graph(graph.clone(), options);
        } catch (const Error& e) {
          throw Error(path + ": " + e.what());
        }
      }();
      const double load_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_load).count();
      runs.push_back(Run{name, std::move(session), load_ms, {}});
    }

    engine::Tensor input(engine::DType::kFloat32, shape);
    std::mt19937 rng(0);
    std::uniform_real_distribution<float> uni(0.0f, 1.0f);
    for (float& v : input.values<float>())
      v = uni(rng);

    for (int i = 0; i < warmup; ++i) {
      for (Run& r : runs)
        r.session.run(input);
    }
    for (int i = 0; i < iters; ++i) {
      for (Run& r : runs) {
        const auto t0 = std::chrono::steady_clock::now();
        r.session.run(input);
        r.ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
    }
    for (const Run& r : runs) {
      const std::vector<double>& ms = r.ms;
      const double load_ms = r.load_ms;
      const engine::MemoryReport mem = r.session.memory_report();
      nlohmann::json j = {
          {"model", path},
          {"backend", backend},
          {"precision", r.precision},
          {"input_shape", shape},
          {"batch", batch},
          {"threads", threads},
          {"iters", iters},
          {"load_ms", load_ms},
          {"median_ms", percentile(ms, 0.5)},
          {"p90_ms", percentile(ms, 0.9)},
          {"min_ms", *std::min_element(ms.begin(), ms.end())},
          {"peak_rss_mb", peak_rss_mb()},
          {"weights_mb", static_cast<double>(mem.weight_bytes) / (1 << 20)},
          {"activations_mb", static_cast<double>(mem.activation_bytes) / (1 << 20)},
          {"activations_without_reuse_mb", static_cast<double>(mem.activation_naive_bytes) / (1 << 20)}};
      if (json) {
        std::cout << j.dump() << "\n";
        continue;
      }
      std::printf("%s  %s:%s  input %s  threads %d\n", path.c_str(), backend.c_str(), r.precision.c_str(),
                  engine::shape_str(shape).c_str(), threads);
      std::printf("load %.1f ms | median %.2f ms  p90 %.2f ms  min %.2f ms over %d runs\n", load_ms,
                  j["median_ms"].get<double>(), j["p90_ms"].get<double>(), j["min_ms"].get<double>(), iters);
      std::printf("peak RSS %.1f MB | weights %.1f MB  activations %.1f MB (%.1f MB without reuse)\n",
                  j["peak_rss_mb"].get<double>(), j["weights_mb"].get<double>(),
                  j["activations_mb"].get<double>(), j["activations_without_reuse_mb"].get<double>());
    }
  });

  auto* det = bench->add_subcommand(
      "detect", "Frames per second of detection on real video frames (stages timed apart)");
  static std::string det_model, det_video, det_precision = "fp32";
  static int det_frames = 100, det_threads = 0, det_imgsz = 640;
  static bool det_json = false;
  det->add_option("--model", det_model, "ONNX or TF.js model (default: NanoDet-m)");
  det->add_option("--video", det_video, "Video to read frames from (default: the sample vtest.avi, 768x576)");
  det->add_option("--frames", det_frames, "Frames to time")->check(CLI::Range(1, 100000));
  det->add_option("--threads", det_threads, "Inference threads (0 = all cores)");
  det->add_option("--imgsz", det_imgsz, "Input size for models with a dynamic input");
  add_precision_option(det, det_precision);
  det->add_flag("--json", det_json, "Print one JSON object");
  det->callback([] {
    const std::string model = det_model.empty() ? default_model_path() : det_model;
    const std::string video_path = det_video.empty() ? sample_video_path() : det_video;
    detect::DetectorOptions options;
    options.session.threads = det_threads;
    options.session.precision = precision_flag(det_precision);
    options.input_size = det_imgsz;
    detect::Detector detector = detect::Detector::open(model, options);
    // Frames are decoded up front so decoding is not part of the timing.
    std::vector<cv::Mat> frames;
    video::VideoReader reader = video::VideoReader::open(video_path);
    video::Frame frame;
    while (static_cast<int>(frames.size()) < det_frames && reader.read(frame))
      frames.push_back(frame.bgr.clone());
    if (frames.empty()) throw Error(video_path + ": no frames");
    for (int i = 0; i < 3; ++i)
      detector.detect({frames[static_cast<std::size_t>(i) % frames.size()]}); // warm-up
    detect::DetectTimings total;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < det_frames; ++i) {
      const auto r = detector.detect({frames[static_cast<std::size_t>(i) % frames.size()]});
      total.preprocess_ms += r.timings.preprocess_ms;
      total.inference_ms += r.timings.inference_ms;
      total.postprocess_ms += r.timings.postprocess_ms;
    }
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double n = det_frames;
    nlohmann::json j = {{"model", model},
                        {"video", video_path},
                        {"frame_size", {frames[0].cols, frames[0].rows}},
                        {"input_size", {detector.input_size().width, detector.input_size().height}},
                        {"frames", det_frames},
                        {"precision", det_precision},
                        {"fps", n / wall_s},
                        {"preprocess_ms", total.preprocess_ms / n},
                        {"inference_ms", total.inference_ms / n},
                        {"postprocess_ms", total.postprocess_ms / n},
                        {"head", std::string(detector.head().name())}};
    if (det_json) {
      std::cout << j.dump() << "\n";
      return;
    }
    std::printf("%s (%s head, input %dx%d) on %dx%d frames of %s\n", model.c_str(),
                std::string(detector.head().name()).c_str(), detector.input_size().width,
                detector.input_size().height, frames[0].cols, frames[0].rows, video_path.c_str());
    std::printf("%.1f frames/s | per frame: preprocess %.2f ms, inference %.2f ms, postprocess %.2f ms\n",
                n / wall_s, total.preprocess_ms / n, total.inference_ms / n, total.postprocess_ms / n);
  });
}

} // namespace tilescope::cli
