#include "source_open.h"
#include "tilescope/core/error.h"
#include "tilescope/core/redact.h"
#include "tilescope/video/live_source.h"
#include "tilescope/video/video_reader.h"

#include <chrono>
#include <exception>
#include <optional>

namespace tilescope::video {

namespace {

constexpr int kFpsFrames = 5;       // frames read after the first to measure a stream's rate
constexpr double kFpsBudgetS = 1.0; // ... for at most this long
constexpr double kMaxPlausibleFps = 240;

// A live stream's frame rate from the timestamps of a few frames: FFmpeg's guess from the
// stream header is often missing or wrong (RTSP reports its 90 kHz clock, MJPEG nothing).
// `first` is the frame already read. Falls back to FFmpeg's guess; a read failure here is no
// failure of the probe.
double measure_fps(VideoReader& reader, const Frame& first, OperationDeadline& deadline) {
  const double guess = reader.info().fps > 0 && reader.info().fps <= kMaxPlausibleFps ? reader.info().fps : 0;
  deadline.arm(kFpsBudgetS);
  Frame frame;
  int frames = 1;
  double last_s = first.timestamp_s;
  try {
    while (frames <= kFpsFrames && reader.read(frame)) {
      ++frames;
      last_s = frame.timestamp_s;
    }
  } catch (const Error&) {
    // Out of time (or the stream broke): measure with what came.
  }
  const double span_s = last_s - first.timestamp_s;
  if (frames < 2 || !(span_s > 0)) return guess;
  const double fps = (frames - 1) / span_s;
  return fps <= kMaxPlausibleFps ? fps : guess;
}

} // namespace

ProbeResult probe_source(const std::string& url, const SourceOptions& options, double timeout_s) {
  const auto start = std::chrono::steady_clock::now();
  const std::string shown_url = redact_url(url);
  ProbeResult result;
  if (!(timeout_s > 0)) timeout_s = options.open_timeout_s > 0 ? options.open_timeout_s : 10.0;
  OperationDeadline deadline; // one budget for opening and the first frame together
  try {
    if (const std::string problem = check_source_options(options); !problem.empty()) {
      result.error = shown_url + ": " + problem;
    } else {
      deadline.arm(timeout_s);
      std::optional<VideoReader> reader = VideoReader::open(
          url, make_reader_options(source_kind(url), options, timeout_s, [&] { return deadline.passed(); }));
      Frame frame;
      if (reader->read(frame)) {
        const VideoInfo& info = reader->info();
        result.ok = true;
        result.width = frame.bgr.cols;
        result.height = frame.bgr.rows;
        result.codec = info.codec;
        result.frame = std::move(frame.bgr);
        result.fps = source_kind(url) == SourceKind::kFile ? info.fps : measure_fps(*reader, frame, deadline);
      } else {
        result.error = shown_url + ": the stream ended before its first frame";
      }
      deadline.arm(1.0); // closing (RTSP TEARDOWN) gets its own short budget
      reader.reset();
    }
  } catch (const Error& e) {
    result.error = deadline.expired() ? timeout_message(shown_url, "no frame", timeout_s) : e.what();
  } catch (const std::exception& e) {
    result.error = shown_url + ": " + e.what();
  } catch (...) {
    result.error = shown_url + ": unknown error";
  }
  if (!result.ok) result.frame.release();
  result.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return result;
}

} // namespace tilescope::video
