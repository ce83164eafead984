// `tilescope detect SOURCE...`: detection on images, folders, globs and videos,
// writing annotated copies and machine-readable results.
#include "commands.h"
#include "default_model.h"
#include "detector_options.h"
#include "progress.h"
#include "result_writers.h"
#include "slice_options.h"
#include "sources.h"
#include "tilescope/detect/annotate.h"
#include "tilescope/detect/detector.h"
#include "tilescope/tiling/tiled_detector.h"
#include "tilescope/video/video_reader.h"
#include "tilescope/video/video_writer.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <unistd.h>

namespace tilescope::cli {
namespace {

namespace fs = std::filesystem;

struct DetectArgs {
  std::vector<std::string> sources;
  DetectorArgs detector;
  SliceArgs slice;
  std::string out_dir = "runs/detect", coco;
  bool save_json = false, save_txt = false, save_conf = false, no_save = false;
};

// Totals for the summary line.
struct Stats {
  int images = 0, videos = 0, failed = 0;
  std::int64_t frames = 0;
  std::int64_t engine_inputs = 0; // images, tiles and full-frame passes
  std::map<int, std::int64_t> per_class;
  detect::DetectTimings timings;
  void add(const std::vector<detect::Detection>& detections) {
    for (const auto& d : detections)
      per_class[d.class_id]++;
  }
  void add(const detect::DetectTimings& t) {
    timings.preprocess_ms += t.preprocess_ms;
    timings.inference_ms += t.inference_ms;
    timings.postprocess_ms += t.postprocess_ms;
    timings.runs += t.runs;
  }
};

void report_failure(Stats& stats, const std::string& line) {
  Progress::enabled() ? (void)std::fprintf(stderr, "\r\033[K") : (void)0;
  std::cerr << "error: " << line << "\n";
  stats.failed++;
}

class DetectJob {
public:
  DetectJob(const DetectArgs& args, detect::Detector& detector, tiling::TiledDetector& tiled,
            detect::DetectOptions options, ResultWriters& writers)
      : args_(args), detector_(detector), tiled_(tiled), options_(std::move(options)), writers_(writers) {}

  void run(const std::vector<MediaFile>& files) {
    std::vector<const MediaFile*> images;
    for (const MediaFile& f : files)
      (f.kind == MediaKind::kImage ? images.push_back(&f) : (void)0);
    Progress progress("images", static_cast<std::int64_t>(images.size()), "img");
    // Without slicing, images go through in batches; sliced, one image (a batch of
    // its tiles) at a time. Videos go one frame at a time, in order.
    const bool sliced = tiled_.slice_options().mode != tiling::SliceMode::kOff;
    const int images_per_run = sliced ? 1 : args_.detector.batch > 0 ? args_.detector.batch : 4;
    std::vector<const MediaFile*> batch;
    for (const MediaFile* f : images) {
      batch.push_back(f);
      if (static_cast<int>(batch.size()) == images_per_run) flush_images(batch, progress);
    }
    flush_images(batch, progress);
    progress.finish();
    for (const MediaFile& f : files) {
      if (f.kind == MediaKind::kVideo) run_video(f);
    }
  }

  Stats& stats() { return stats_; }

private:
  void flush_images(std::vector<const MediaFile*>& batch, Progress& progress) {
    std::vector<cv::Mat> mats;
    std::vector<const MediaFile*> ok;
    for (const MediaFile* f : batch) {
      cv::Mat img = cv::imread(f->path, cv::IMREAD_COLOR);
      if (img.empty()) {
        report_failure(stats_,
                       f->path + ": not a readable image (corrupt, truncated or an unsupported format)");
        progress.advance();
        continue;
      }
      mats.push_back(std::move(img));
      ok.push_back(f);
    }
    batch.clear();
    if (mats.empty()) return;
    const std::vector<std::vector<detect::Detection>> detections = detect_images(mats);
    for (std::size_t i = 0; i < ok.size(); ++i) {
      const auto& dets = detections[i];
      writers_.add({ok[i]->path, ok[i]->output_stem, -1, 0.0, mats[i].cols, mats[i].rows, &dets});
      if (!args_.no_save) {
        detect::annotate(mats[i], dets, detector_.class_names());
        std::string ext = fs::path(ok[i]->path).extension().string();
        if (ext.empty() || !cv::haveImageWriter("x" + ext)) ext = ".jpg";
        const fs::path out = fs::path(args_.out_dir) / (ok[i]->output_stem + ext);
        fs::create_directories(out.parent_path());
        if (!cv::imwrite(out.string(), mats[i])) report_failure(stats_, out.string() + ": cannot write");
      }
      stats_.images++;
      stats_.frames++;
      progress.advance();
    }
  }

  void run_video(const MediaFile& f) {
    try {
      video::VideoReader reader = video::VideoReader::open(f.path);
      const video::VideoInfo& info = reader.info();
      std::optional<video::VideoWriter> writer;
      if (!args_.no_save) {
        const fs::path out = fs::path(args_.out_dir) / (f.output_stem + ".mp4");
        fs::create_directories(out.parent_path());
        // yuv420p needs even sizes: odd frames lose their last row/column in the copy.
        writer.emplace(video::VideoWriter::open(out.string(), info.width & ~1, info.height & ~1, info.fps));
      }
      Progress progress(f.path, info.frame_count, "frames");
      video::Frame frame;
      while (reader.read(frame)) {
        const std::vector<detect::Detection> dets = std::move(detect_images({frame.bgr})[0]);
        writers_.add(
            {f.path, f.output_stem, frame.index, frame.timestamp_s, frame.bgr.cols, frame.bgr.rows, &dets});
        if (writer) {
          detect::annotate(frame.bgr, dets, detector_.class_names());
          writer->write(frame.bgr(cv::Rect(0, 0, frame.bgr.cols & ~1, frame.bgr.rows & ~1)).clone());
        }
        stats_.frames++;
        progress.advance();
      }
      progress.finish();
      if (writer) writer->close();
      stats_.videos++;
    } catch (const Error& e) {
      report_failure(stats_, e.what());
    }
  }

  // Boxes per image, in its pixels; sliced when slicing is on (then one image at a time).
  std::vector<std::vector<detect::Detection>> detect_images(const std::vector<cv::Mat>& mats) {
    std::vector<std::vector<detect::Detection>> out;
    if (tiled_.slice_options().mode == tiling::SliceMode::kOff) {
      detect::DetectResult result = detector_.detect(mats, options_);
      stats_.add(result.timings);
      stats_.engine_inputs += static_cast<std::int64_t>(mats.size());
      out = std::move(result.detections_in_image);
    } else {
      for (const cv::Mat& m : mats) {
        tiling::TiledResult result = tiled_.detect(m, options_);
        stats_.add(result.timings);
        stats_.engine_inputs += static_cast<std::int64_t>(result.plan.views());
        out.push_back(std::move(result.detections));
      }
    }
    for (const auto& dets : out)
      stats_.add(dets);
    return out;
  }

  const DetectArgs& args_;
  detect::Detector& detector_;
  tiling::TiledDetector& tiled_;
  detect::DetectOptions options_;
  ResultWriters& writers_;
  Stats stats_;
};

void print_summary(const Stats& s, double seconds, const std::vector<std::string>& names,
                   const DetectArgs& args) {
  std::printf("%d image%s, %d video%s, %lld frame%s in %.1f s (%.1f frames/s)", s.images,
              s.images == 1 ? "" : "s", s.videos, s.videos == 1 ? "" : "s", static_cast<long long>(s.frames),
              s.frames == 1 ? "" : "s", seconds, seconds > 0 ? static_cast<double>(s.frames) / seconds : 0.0);
  if (s.failed) std::printf(", %d failed", s.failed);
  std::printf("\n");
  if (s.frames > 0) {
    const double n = static_cast<double>(s.frames);
    std::printf("per frame: preprocess %.1f ms, inference %.1f ms, postprocess %.1f ms, %.1f engine inputs "
                "(tiles + full frame)\n",
                s.timings.preprocess_ms / n, s.timings.inference_ms / n, s.timings.postprocess_ms / n,
                static_cast<double>(s.engine_inputs) / n);
  }
  std::string counts;
  for (const auto& [id, n] : s.per_class) {
    const std::string name = id >= 0 && static_cast<std::size_t>(id) < names.size()
                                 ? names[static_cast<std::size_t>(id)]
                                 : "class" + std::to_string(id);
    counts += (counts.empty() ? "" : ", ") + name + " " + std::to_string(n);
  }
  std::printf("detections: %s\n", counts.empty() ? "none" : counts.c_str());
  if (!args.no_save || args.save_json || args.save_txt) std::printf("results in %s\n", args.out_dir.c_str());
}

int run_detect(const DetectArgs& args) {
  const auto t0 = std::chrono::steady_clock::now();
  // The model and options are checked before any media is touched: a bad model fails first.
  detect::Detector detector = open_detector(args.detector);
  const detect::DetectOptions options = detect_options(args.detector, detector);
  tiling::TiledDetector tiled(detector, to_slice_options(args.slice), to_merge_options(args.slice));

  SourceList sources = expand_sources(args.sources);
  Stats early;
  for (const std::string& e : sources.errors)
    report_failure(early, e);
  fs::create_directories(args.out_dir);
  ResultWriters writers({args.out_dir, args.save_json, args.save_txt, args.save_conf, args.coco},
                        detector.class_names());
  DetectJob job(args, detector, tiled, options, writers);
  job.run(sources.files);
  writers.finish();
  Stats& stats = job.stats();
  stats.failed += early.failed;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  print_summary(stats, seconds, detector.class_names(), args);
  return stats.failed > 0 || (stats.images + stats.videos) == 0 ? 1 : 0;
}

} // namespace

void add_detect_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("detect", "Detect objects in images, folders, globs and videos");
  static DetectArgs a;
  cmd->add_option("source", a.sources, "Images, folders (recursive), glob patterns, videos")->required();
  add_detector_options(cmd, a.detector);
  add_slice_options(cmd, a.slice);
  cmd->add_option("--out", a.out_dir, "Output folder");
  cmd->add_flag("--save-json", a.save_json, "Write <out>/results.jsonl (one JSON object per image or frame)");
  cmd->add_flag("--save-txt", a.save_txt, "Write YOLO-format labels to <out>/labels/");
  cmd->add_flag("--save-conf", a.save_conf, "Append the score to each --save-txt line");
  cmd->add_option("--save-coco", a.coco, "Write a COCO results file");
  cmd->add_flag("--no-save", a.no_save, "Do not write annotated images and videos");
  cmd->callback([] {
    const int rc = run_detect(a);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

} // namespace tilescope::cli
