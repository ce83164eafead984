// `tilescope model quantize` (quant::quantize_model): bad calibration folders
// fail clearly (fast); on the YOLOv8n replica (slow, `replicas` fixture) the QDQ
// file has symmetric per-channel int8 weights, loads in our engine, agrees with
// ONNX Runtime on the same file (tests/quant/ort_run.mjs, when Node and
// bench/node_modules are there), and its detections are compared with fp32's
// (mAP@0.5, fp32 as ground truth) on frames of .cache/media/vtest.avi.
#include "tilescope/detect/detector.h"
#include "tilescope/engine/npy.h"
#include "tilescope/engine/onnx_import.h"
#include "tilescope/engine/session.h"
#include "tilescope/quant/quantize.h"
#include "tilescope/verify/detection_compare.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <unistd.h>

namespace tilescope::quant {
namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;

fs::path replica_dir() {
  const char* env = std::getenv("TILESCOPE_REPLICA_DIR");
  return env != nullptr && *env != 0 ? fs::path(env) : fs::path(TILESCOPE_BINARY_DIR) / "replicas";
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("tilescope_quant_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

QuantizeOptions calib(const fs::path& dir) {
  QuantizeOptions o;
  o.calibration_dir = dir.string();
  o.max_images = 4;
  o.threads = 2;
  return o;
}

const std::string kModel = (replica_dir() / "yolov8n_op17_640.onnx").string();

TEST(Quantize, MissingCalibrationFolderIsAClearError) {
  EXPECT_THAT([] { quantize_model(kModel, "/tmp/x.onnx", calib("/nonexistent/frames")); },
              testing::ThrowsMessage<Error>(HasSubstr("--calib /nonexistent/frames: no such folder")));
}

TEST(Quantize, FolderWithoutImagesIsAClearError) {
  const fs::path dir = scratch("no_images");
  std::ofstream(dir / "notes.txt") << "not an image";
  EXPECT_THAT([&] { quantize_model(kModel, "/tmp/x.onnx", calib(dir)); },
              testing::ThrowsMessage<Error>(HasSubstr(": no images in the folder (jpg, jpeg, png")));
}

TEST(Quantize, AFileInsteadOfAFolderIsAClearError) {
  const fs::path dir = scratch("file");
  std::ofstream(dir / "a.png") << "x";
  EXPECT_THAT([&] { quantize_model(kModel, "/tmp/x.onnx", calib(dir / "a.png")); },
              testing::ThrowsMessage<Error>(HasSubstr("a.png: not a folder of images")));
}

TEST(Quantize, UnknownMethodNamesTheKnownOnes) {
  EXPECT_THAT([] { parse_calibration_method("entropy"); },
              testing::ThrowsMessage<Error>(HasSubstr("known: minmax, percentile")));
}

// --- replica (slow) ------------------------------------------------------------

// Every `step`-th frame of the sample video, from frame `first`, as PNGs.
std::vector<cv::Mat> write_frames(const fs::path& dir, int first, int step, int count) {
  cv::VideoCapture video(std::string(TILESCOPE_SOURCE_DIR) + "/.cache/media/vtest.avi");
  std::vector<cv::Mat> frames;
  cv::Mat frame;
  for (int i = 0; video.read(frame) && static_cast<int>(frames.size()) < count; ++i) {
    if (i < first || (i - first) % step != 0) continue;
    char name[32];
    std::snprintf(name, sizeof name, "frame_%04d.png", i);
    cv::imwrite((dir / name).string(), frame);
    frames.push_back(frame.clone());
  }
  return frames;
}

class ReplicaQuantize : public testing::Test {
protected:
  static void SetUpTestSuite() {
    if (!fs::exists(kModel)) return;
    calib_dir_ = new fs::path(scratch("calib"));
    eval_dir_ = new fs::path(scratch("eval"));
    if (write_frames(*calib_dir_, 0, 40, 8).size() < 8) return; // no video: tests skip
    eval_frames_ = new std::vector<cv::Mat>(write_frames(*eval_dir_, 20, 40, 8));
    out_ = new fs::path(scratch("model") / "yolov8n.int8.onnx");
    QuantizeOptions o = calib(*calib_dir_);
    o.max_images = 8;
    report_ = new QuantizeReport(quantize_model(kModel, out_->string(), o));
  }
  static void TearDownTestSuite() {
    fs::remove_all(fs::temp_directory_path() / ("tilescope_quant_" + std::to_string(::getpid())));
  }
  void SetUp() override {
    if (report_ == nullptr) GTEST_SKIP() << "replica or sample video missing: " << kModel;
  }

  static inline fs::path* calib_dir_ = nullptr;
  static inline fs::path* eval_dir_ = nullptr;
  static inline fs::path* out_ = nullptr;
  static inline std::vector<cv::Mat>* eval_frames_ = nullptr;
  static inline QuantizeReport* report_ = nullptr;
};

TEST_F(ReplicaQuantize, EveryConvIsQuantizedWithCalibratedRanges) {
  EXPECT_EQ(report_->images, 8);
  // All of YOLOv8n's but the DFL readout (16 -> 1 channel: too little work to pay for
  // quantizing its input).
  EXPECT_EQ(report_->convs_quantized, 63);
  ASSERT_EQ(report_->convs_kept.size(), 1u);
  EXPECT_EQ(report_->convs_kept[0], "/model.22/dfl/conv/Conv (fewer than 4 output channels)");
  for (const ActivationRange& a : report_->activations) {
    EXPECT_LE(a.min, a.max) << a.value;
    EXPECT_GT(a.scale, 0) << a.value;
    EXPECT_GE(a.zero_point, 0) << a.value;
    EXPECT_LE(a.zero_point, 255) << a.value;
  }
  // The image input: pixels / 255 in [0, 1] -> scale 1/255, zero point 0.
  auto images = std::find_if(report_->activations.begin(), report_->activations.end(),
                             [](const ActivationRange& a) { return a.value == "images"; });
  ASSERT_NE(images, report_->activations.end());
  EXPECT_EQ(images->zero_point, 0);
  EXPECT_NEAR(images->scale, 1.0 / 255, 1e-6);
}

TEST_F(ReplicaQuantize, WeightsAreSymmetricPerChannelInt8) {
  const engine::Graph g = engine::load_onnx(out_->string());
  int weight_dqs = 0;
  for (const engine::Node& n : g.nodes) {
    if (n.op_type == "Conv" && n.name != "/model.22/dfl/conv/Conv") { // the DFL readout stays float
      for (int i : {0, 1}) {
        auto p = g.producer_of(n.inputs[static_cast<std::size_t>(i)]);
        ASSERT_TRUE(p.has_value()) << n.name;
        EXPECT_EQ(g.nodes[*p].op_type, "DequantizeLinear") << n.name << " input " << i;
      }
    }
    if (n.op_type != "DequantizeLinear") continue;
    const engine::Tensor* q = g.find_initializer(n.inputs[0]);
    if (q == nullptr || q->dtype() != engine::DType::kInt8) continue;
    ++weight_dqs;
    ASSERT_EQ(n.attrs.get_int("axis", 1), 0) << n.name;
    const engine::Tensor& scale = *g.find_initializer(n.inputs[1]);
    const engine::Tensor& zp = *g.find_initializer(n.inputs[2]);
    const std::int64_t channels = q->shape()[0];
    ASSERT_EQ(scale.size(), channels) << n.name;
    ASSERT_EQ(zp.size(), channels) << n.name;
    const std::int64_t per = q->size() / channels;
    for (std::int64_t c = 0; c < channels; ++c) {
      EXPECT_EQ(zp.values<std::int8_t>()[c], 0) << n.name;
      EXPECT_GT(scale.values<float>()[c], 0.0f) << n.name;
      int amax = 0;
      for (std::int64_t k = 0; k < per; ++k) {
        const int v = q->values<std::int8_t>()[c * per + k];
        EXPECT_GE(v, -127) << n.name; // symmetric: -128 unused
        amax = std::max(amax, std::abs(v));
      }
      EXPECT_EQ(amax, 127) << n.name << " channel " << c << ": max |q| spans the range";
    }
  }
  EXPECT_EQ(weight_dqs, 63);
}

// How far `a` is from `b` on YOLOv8's output [1, 4 + classes, anchors]: rows
// 0-3 are box coordinates (input pixels), the rest class scores (0..1).
struct OutputDiff {
  double box_median = 0, box_share_within_1px = 0;
  double score_max = 0, score_share_within_001 = 0;
};
OutputDiff output_diff(const engine::Tensor& a, const engine::Tensor& b) {
  const std::int64_t anchors = a.shape()[2];
  std::vector<double> box;
  OutputDiff d;
  std::int64_t scores = 0, scores_close = 0;
  for (std::int64_t i = 0; i < a.size(); ++i) {
    const double diff = std::fabs(a.values<float>()[i] - b.values<float>()[i]);
    if (i / anchors < 4) {
      box.push_back(diff);
    } else {
      ++scores;
      scores_close += diff <= 0.01;
      d.score_max = std::max(d.score_max, diff);
    }
  }
  std::sort(box.begin(), box.end());
  d.box_median = box[box.size() / 2];
  d.box_share_within_1px =
      static_cast<double>(std::count_if(box.begin(), box.end(), [](double v) { return v <= 1.0; })) /
      box.size();
  d.score_share_within_001 = static_cast<double>(scores_close) / scores;
  return d;
}

void print_diff(const char* what, const OutputDiff& d) {
  std::printf(
      "%s: boxes median |diff| %.3g px, %.2f%% within 1 px; scores max |diff| %.3g, %.2f%% within 0.01\n",
      what, d.box_median, 100 * d.box_share_within_1px, d.score_max, 100 * d.score_share_within_001);
}

engine::Tensor preprocess(const cv::Mat& frame) {
  engine::Tensor t(engine::DType::kFloat32, {1, 3, 640, 640});
  detect::Preprocessor(detect::PreprocessSpec::ultralytics()).fill(frame, t, 0);
  return t;
}

// Same file, two runtimes: ours (onednn and reference agree with each other
// bit for bit on the quantization, so one is enough) and ONNX Runtime.
TEST_F(ReplicaQuantize, AgreesWithOnnxRuntime) {
  const fs::path node_modules = fs::path(TILESCOPE_SOURCE_DIR) / "bench/node_modules/onnxruntime-node";
  if (!fs::exists(node_modules) || std::system("node --version > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "node or bench/node_modules/onnxruntime-node missing (npm install in bench/)";
  const fs::path dir = scratch("ort");
  const engine::Tensor input = preprocess(eval_frames_->at(0));
  engine::write_npy((dir / "input.npy").string(), input);

  engine::SessionOptions options;
  options.threads = 2;
  engine::Session ours = engine::Session::open(out_->string(), options);
  const std::vector<engine::Tensor> got = ours.run(input);
  engine::Session fp32 = engine::Session::open(kModel, options);
  const std::vector<engine::Tensor> base = fp32.run(input);

  const std::string cmd = "node " + std::string(TILESCOPE_SOURCE_DIR) + "/tests/quant/ort_run.mjs " +
                          out_->string() + " " + (dir / "input.npy").string() + " " + (dir / "ort").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const engine::Tensor want = engine::read_npy((dir / "ort" / "0.npy").string());
  ASSERT_EQ(want.shape(), got[0].shape());
  ASSERT_EQ(std::system((cmd + "_plain --no-optimizations").c_str()), 0);
  const engine::Tensor plain = engine::read_npy((dir / "ort_plain" / "0.npy").string());
  print_diff("ONNX Runtime optimized vs not", output_diff(want, plain));
  engine::SessionOptions reference_options;
  reference_options.backend = engine::Backend::kReference;
  engine::Session reference = engine::Session::open(out_->string(), reference_options);
  const engine::Tensor ref = std::move(reference.run(input)[0]);

  const OutputDiff vs_ort = output_diff(got[0], want);
  const OutputDiff backends = output_diff(got[0], ref);
  print_diff("ours (onednn) vs ONNX Runtime", vs_ort);
  print_diff("ours (reference) vs ONNX Runtime", output_diff(ref, want));
  print_diff("our two backends (onednn vs reference)", backends);
  print_diff("QDQ vs the fp32 model (quantization error)", output_diff(got[0], base[0]));
  // The untrained replica is chaotic under quantization: a float rounding
  // difference that moves one activation across a step boundary grows through
  // 64 quantized layers (random weights, no trained normalisation), so even our
  // two backends differ (measured: boxes median ~2.3 px, ~19 % of scores within
  // 0.01). The check: ONNX Runtime is no further from us than our backends are
  // from each other. The trained NanoDet-m below holds the tight comparison.
  EXPECT_LE(vs_ort.box_median, 1.5 * backends.box_median + 0.5);
  EXPECT_GE(vs_ort.score_share_within_001, 0.67 * backends.score_share_within_001);
}

// Detections of the replica are not compared: its random weights score
// thousands of places alike, so fp32 hits NMS's 300-box cap on every frame
// (DetectionComparer then leaves every frame out). NanoDet-m below does it.

TEST_F(ReplicaQuantize, EveryConvRunsAsAnIntegerConvolutionWithPrecisionInt8) {
  engine::SessionOptions options;
  options.threads = 2;
  options.precision = engine::Precision::kInt8;
  engine::Session int8 = engine::Session::open(out_->string(), options);
  const auto& nodes = int8.compiled_graph().nodes;
  EXPECT_EQ(
      std::count_if(nodes.begin(), nodes.end(), [](const engine::Node& n) { return n.op_type == "QConv"; }),
      63);
  EXPECT_EQ(std::count_if(nodes.begin(), nodes.end(),
                          [](const engine::Node& n) { return n.op_type == "QuantizeLinear"; }),
            0)
      << "every QuantizeLinear folded into the convolutions reading it";
  engine::SessionOptions fake_options;
  fake_options.threads = 2;
  engine::Session fake = engine::Session::open(out_->string(), fake_options);
  const engine::Tensor input = preprocess(eval_frames_->at(1));
  print_diff("int8 convolutions vs the QDQ graph as written (fp32)",
             output_diff(int8.run(input)[0], fake.run(input)[0]));
}

// --- the default model (slow): NanoDet-m, a trained detector (TF.js, written as ONNX) ---

class ModelNanodet : public testing::Test {
protected:
  static std::string model() {
    return std::string(TILESCOPE_SOURCE_DIR) + "/.cache/models/nanodet/nanodet.json";
  }
};

// Quantized on 16 frames, compared with fp32 on 16 other frames of the sample
// video: the int8 file runs with precision int8 (integer convolutions) and
// its detections are scored with fp32's as ground truth.
TEST_F(ModelNanodet, Int8DetectionsAgainstFp32) {
  if (!fs::exists(model())) GTEST_SKIP() << model() << " missing (scripts/setup fetches it)";
  const fs::path calib_dir = scratch("nanodet_calib"), eval_dir = scratch("nanodet_eval");
  if (write_frames(calib_dir, 0, 25, 16).size() < 16) GTEST_SKIP() << "sample video missing";
  const std::vector<cv::Mat> frames = write_frames(eval_dir, 12, 25, 16);
  const fs::path out = scratch("nanodet_model") / "nanodet.int8.onnx";
  QuantizeOptions o = calib(calib_dir);
  o.max_images = 16;
  const QuantizeReport report = quantize_model(model(), out.string(), o);
  std::printf("NanoDet-m: %d Convs quantized, %zu kept fp32\n", report.convs_quantized,
              report.convs_kept.size());
  EXPECT_GT(report.convs_quantized, 10);

  detect::DetectorOptions fp32_options;
  fp32_options.session.threads = 2;
  detect::Detector fp32 = detect::Detector::open(model(), fp32_options);
  detect::DetectorOptions int8_options = fp32_options;
  int8_options.session.precision = engine::Precision::kInt8;
  int8_options.head = std::string(fp32.head().name());
  detect::Detector int8 = detect::Detector::open(out.string(), int8_options);
  const auto& nodes = int8.session().compiled_graph().nodes;
  const auto qconvs =
      std::count_if(nodes.begin(), nodes.end(), [](const engine::Node& n) { return n.op_type == "QConv"; });
  EXPECT_EQ(qconvs, report.convs_quantized) << "every quantized Conv runs as an integer convolution";

  // The same file in ONNX Runtime, as far as it reads it (the export holds
  // standard ONNX operators only).
  if (fs::exists(fs::path(TILESCOPE_SOURCE_DIR) / "bench/node_modules/onnxruntime-node")) {
    const fs::path dir = scratch("nanodet_ort");
    const cv::Size size = fp32.input_size();
    engine::Tensor input(engine::DType::kFloat32, {1, 3, size.height, size.width});
    detect::Preprocessor(fp32.head().preprocess()).fill(frames[0], input, 0);
    engine::write_npy((dir / "input.npy").string(), input);
    const std::string cmd = "node " + std::string(TILESCOPE_SOURCE_DIR) + "/tests/quant/ort_run.mjs " +
                            out.string() + " " + (dir / "input.npy").string() + " " + (dir / "ort").string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    engine::SessionOptions qdq_options;
    qdq_options.threads = 2;
    engine::Session qdq = engine::Session::open(out.string(), qdq_options);
    const std::vector<engine::Tensor> fake = qdq.run(input);
    const std::vector<engine::Tensor> real = int8.session().run(input);
    const std::vector<engine::Tensor> fp = fp32.session().run(input);
    engine::SessionOptions reference_options;
    reference_options.backend = engine::Backend::kReference;
    engine::Session reference = engine::Session::open(out.string(), reference_options);
    const std::vector<engine::Tensor> ref = reference.run(input);
    for (std::size_t i = 0; i < fake.size(); ++i) {
      const engine::Tensor want = engine::read_npy((dir / "ort" / (std::to_string(i) + ".npy")).string());
      ASSERT_EQ(want.shape(), fake[i].shape());
      // Mean |a - ORT| over the output.
      auto mean_diff = [&](const engine::Tensor& a) {
        double sum = 0;
        for (std::int64_t k = 0; k < want.size(); ++k)
          sum += std::fabs(a.values<float>()[k] - want.values<float>()[k]);
        return sum / static_cast<double>(want.size());
      };
      const double d_fake = mean_diff(fake[i]), d_real = mean_diff(real[i]), d_fp32 = mean_diff(fp[i]),
                   d_ref = mean_diff(ref[i]);
      double floor = 0; // our two backends on the same file
      for (std::int64_t k = 0; k < want.size(); ++k)
        floor += std::fabs(fake[i].values<float>()[k] - ref[i].values<float>()[k]);
      floor /= static_cast<double>(want.size());
      std::printf(
          "NanoDet-m output %zu %s, mean |x - ONNX Runtime on the QDQ file|: ours onednn fp32 (QDQ as "
          "written) %.3g, onednn int8 convolutions %.3g, reference %.3g, the fp32 model %.3g; "
          "mean |onednn - reference| %.3g\n",
          i, engine::shape_str(want.shape()).c_str(), d_fake, d_real, d_ref, d_fp32, floor);
      // A QDQ model's outputs move with float rounding: where two runtimes'
      // float results straddle a quantization step, one activation differs by
      // a whole step downstream. So the bar is our own two backends: ONNX
      // Runtime must be no further from us than they are from each other
      // (measured: all within 1.0-1.2x of that floor, about half the
      // quantization error itself).
      EXPECT_LE(d_fake, 1.5 * floor) << "output " << i;
      EXPECT_LE(d_ref, 1.5 * floor) << "output " << i;
      EXPECT_LE(d_real, 1.5 * floor) << "output " << i;
      EXPECT_LT(d_fake, d_fp32) << "output " << i;
    }
  }

  detect::DetectOptions reference_opts, candidate_opts;
  candidate_opts.nms.conf_threshold = 0.001f;
  verify::DetectionComparer comparer(fp32.head().num_classes(), reference_opts.nms.conf_threshold);
  for (const cv::Mat& frame : frames) {
    const auto ref = fp32.detect({frame}, reference_opts).detections_in_image[0];
    comparer.add(ref, int8.detect({frame}, candidate_opts).detections_in_image[0],
                 static_cast<int>(ref.size()) >= reference_opts.nms.max_detections);
  }
  const verify::DetectionComparison r = comparer.result();
  std::printf("NanoDet-m int8 vs fp32 on %d frames: %d reference boxes, %d matched, %d missed, %d extra, "
              "mean IoU %.3f, max score delta %.3f, mAP@0.5 %.3f\n",
              r.images, r.reference, r.matched, r.missed, r.extra, r.mean_iou, r.max_score_delta, r.map50);
  ASSERT_GT(r.reference, 0) << "fp32 NanoDet found nothing on the sample frames";
  EXPECT_GE(r.map50, 0.90); // the int8 target
}

} // namespace
} // namespace tilescope::quant
