// LiveSource and probe_source on files, missing sources and a server that never answers:
// pacing and looping, the end of a file, backoff, timeouts, stop() during a blocking open,
// the newest-frame slot, and passwords kept out of every message. The real RTSP and HTTP
// servers are in live/live_servers_test.cpp (slow).
#include "live_test_support.h"
#include "tilescope/video/live_source.h"

#include <fstream>
#include <gtest/gtest.h>
#include <vector>

namespace tilescope::video {
namespace {

using namespace testing;

TEST(LiveSource, StateNames) {
  EXPECT_STREQ(to_string(SourceState::kConnecting), "connecting");
  EXPECT_STREQ(to_string(SourceState::kLive), "live");
  EXPECT_STREQ(to_string(SourceState::kRetrying), "retrying");
  EXPECT_STREQ(to_string(SourceState::kEnded), "ended");
  EXPECT_STREQ(to_string(SourceState::kStopped), "stopped");
}

TEST(LiveSource, FileIsPacedAtItsFrameRate) {
  const std::string video = sample_video();
  if (video.empty()) GTEST_SKIP() << "sample video missing (scripts/setup fetches it)";
  LiveSource source(video);
  LiveFrame frame;
  std::int64_t last_seq = 0;
  int received = 0;
  const auto start = std::chrono::steady_clock::now();
  while (seconds_since(start) < 2.0) {
    if (!source.wait_frame(last_seq, frame, 500ms)) continue;
    EXPECT_GT(frame.seq, last_seq);
    last_seq = frame.seq;
    ++received;
    EXPECT_EQ(frame.bgr.cols, 768);
    EXPECT_EQ(frame.bgr.rows, 576);
    EXPECT_EQ(frame.bgr.type(), CV_8UC3);
  }
  const SourceStatus status = source.status();
  EXPECT_GE(received, 3);
  // 10 fps for 2 s: unpaced, the file would decode hundreds of frames in that time.
  EXPECT_LE(status.frames_decoded, 40) << "not paced";
  EXPECT_EQ(status.state, SourceState::kLive);
  EXPECT_EQ(status.width, 768);
  EXPECT_EQ(status.height, 576);
  EXPECT_FALSE(status.codec.empty());
  EXPECT_GT(status.input_fps, 0.0);
  EXPECT_LT(status.input_fps, 30.0);
  EXPECT_EQ(status.failures, 0);
  source.stop();
  EXPECT_EQ(source.status().state, SourceState::kStopped);
}

TEST(LiveSource, FileLoopsWithoutCountingReconnects) {
  const std::string clip = make_clip("loop.mp4", 10, 25.0); // 0.4 s
  LiveSource source(clip);
  LiveFrame frame;
  std::int64_t last_seq = 0;
  double last_pts = -1;
  int restarts = 0;
  const auto start = std::chrono::steady_clock::now();
  while (restarts < 2 && seconds_since(start) < 20.0) {
    if (!source.wait_frame(last_seq, frame, 1000ms)) continue;
    ASSERT_GT(frame.seq, last_seq);
    last_seq = frame.seq;
    if (frame.pts_s < last_pts) ++restarts; // timestamps start over with each pass
    last_pts = frame.pts_s;
  }
  EXPECT_EQ(restarts, 2);
  const SourceStatus status = source.status();
  EXPECT_EQ(status.reconnects, 0);
  EXPECT_EQ(status.failures, 0);
  EXPECT_GT(status.frames_decoded, 20);
}

TEST(LiveSource, FileWithoutLoopEnds) {
  const std::string clip = make_clip("once.mp4", 12, 10.0);
  SourceOptions options;
  options.loop = false;
  options.pace_files = false;
  LiveSource source(clip, options);
  ASSERT_TRUE(wait_status(
      source, [](const SourceStatus& s) { return s.state == SourceState::kEnded; }, 10s));
  const SourceStatus status = source.status();
  EXPECT_EQ(status.frames_decoded, 12);
  EXPECT_EQ(status.failures, 0);
  LiveFrame frame;
  EXPECT_TRUE(source.wait_frame(0, frame, 100ms)); // the last frame is still in the slot
  EXPECT_EQ(frame.seq, 12);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(source.wait_frame(frame.seq, frame, 5000ms));
  EXPECT_LT(seconds_since(start), 2.0) << "an ended source should not make wait_frame wait";
}

TEST(LiveSource, MissingFileRetriesWithGrowingDelays) {
  const std::string path = "/nonexistent/tilescope/cam.mp4";
  SourceOptions options;
  options.backoff_initial_s = 0.1;
  options.backoff_max_s = 0.8;
  options.backoff_jitter = 0;
  LiveSource source(path, options);
  std::vector<double> failure_at; // seconds since start, one per failure
  double max_retry_in = 0;
  const auto start = std::chrono::steady_clock::now();
  while (failure_at.size() < 5 && seconds_since(start) < 15.0) {
    const SourceStatus status = source.status();
    while (static_cast<int>(failure_at.size()) < status.failures)
      failure_at.push_back(seconds_since(start));
    max_retry_in = std::max(max_retry_in, status.retry_in_s);
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_GE(failure_at.size(), 5u);
  const SourceStatus status = source.status();
  EXPECT_EQ(status.state, SourceState::kRetrying);
  EXPECT_NE(status.last_error.find(path), std::string::npos) << status.last_error;
  EXPECT_EQ(status.frames_decoded, 0);
  EXPECT_EQ(status.reconnects, 0);
  // Delays 0.1, 0.2, 0.4, 0.8 s between failures: the fourth gap well above the first.
  const double first_gap = failure_at[1] - failure_at[0];
  const double fourth_gap = failure_at[4] - failure_at[3];
  EXPECT_GT(fourth_gap, first_gap + 0.3) << "first gap " << first_gap << " s, fourth " << fourth_gap << " s";
  EXPECT_LE(max_retry_in, 0.8 + 1e-6); // backoff_max_s caps it (no jitter)
  EXPECT_GT(max_retry_in, 0.0);
}

TEST(LiveSource, MissingDeviceRetries) {
  LiveSource source("/dev/video97");
  ASSERT_TRUE(wait_status(
      source, [](const SourceStatus& s) { return s.failures >= 1; }, 10s));
  EXPECT_NE(source.status().last_error.find("/dev/video97"), std::string::npos) << source.status().last_error;
}

TEST(LiveSource, PasswordNeverInStatusOrLogs) {
  const int port = closed_port();
  ASSERT_NE(port, 0);
  for (const std::string scheme : {"rtsp", "http"}) {
    const std::string url = scheme + "://admin:s3cret@127.0.0.1:" + std::to_string(port) + "/live";
    ::testing::internal::CaptureStderr();
    SourceOptions options;
    options.open_timeout_s = 2;
    {
      LiveSource source(url, options);
      EXPECT_EQ(source.url(), url); // as given, for the caller to connect with
      ASSERT_TRUE(wait_status(
          source, [](const SourceStatus& s) { return s.failures >= 1; }, 10s));
      const SourceStatus status = source.status();
      EXPECT_EQ(status.last_error.find("s3cret"), std::string::npos) << status.last_error;
      EXPECT_NE(status.last_error.find(scheme + "://admin:***@127.0.0.1:"), std::string::npos)
          << status.last_error;
    }
    const ProbeResult probe = probe_source(url, options, 2.0);
    EXPECT_FALSE(probe.ok);
    EXPECT_EQ(probe.error.find("s3cret"), std::string::npos) << probe.error;
    EXPECT_NE(probe.error.find("admin:***@"), std::string::npos) << probe.error;
    const std::string logged = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(logged.find("s3cret"), std::string::npos) << logged;
  }
}

// A server that accepts and never answers: the open blocks inside FFmpeg until the
// interrupt callback ends it.
TEST(LiveSource, StopInterruptsABlockingOpen) {
  SilentServer silent;
  ASSERT_NE(silent.port(), 0);
  for (const std::string scheme : {"rtsp", "http"}) {
    SourceOptions options;
    options.open_timeout_s = 60;
    LiveSource source(scheme + "://127.0.0.1:" + std::to_string(silent.port()) + "/live", options);
    std::this_thread::sleep_for(300ms); // connected by now, waiting for the first byte
    EXPECT_EQ(source.status().state, SourceState::kConnecting);
    const auto start = std::chrono::steady_clock::now();
    source.stop();
    const double stop_s = seconds_since(start);
    std::printf("%s: stop() during a blocking open took %.0f ms\n", scheme.c_str(), stop_s * 1e3);
    EXPECT_LT(stop_s, 3.0); // FFmpeg polls the callback every ~100 ms; loose for a busy box
    EXPECT_EQ(source.status().state, SourceState::kStopped);
    LiveFrame frame;
    EXPECT_FALSE(source.wait_frame(0, frame, 1000ms));
    source.stop(); // idempotent
  }
}

TEST(LiveSource, OpenTimeoutIsReported) {
  SilentServer silent;
  ASSERT_NE(silent.port(), 0);
  SourceOptions options;
  options.open_timeout_s = 0.5;
  options.backoff_initial_s = 5; // one failure is enough to look at
  LiveSource source("rtsp://127.0.0.1:" + std::to_string(silent.port()) + "/live", options);
  ASSERT_TRUE(wait_status(
      source, [](const SourceStatus& s) { return s.failures >= 1; }, 15s));
  const SourceStatus status = source.status();
  EXPECT_EQ(status.state, SourceState::kRetrying);
  EXPECT_NE(status.last_error.find("timed out"), std::string::npos) << status.last_error;
  EXPECT_NE(status.last_error.find("0.5 s"), std::string::npos) << status.last_error;
  EXPECT_GT(status.retry_in_s, 0.0);
}

TEST(LiveSource, SlowConsumerGetsTheNewestFrameAndDropsAreCounted) {
  const std::string video = sample_video();
  if (video.empty()) GTEST_SKIP() << "sample video missing (scripts/setup fetches it)";
  SourceOptions options;
  options.pace_files = false; // decode as fast as possible: far faster than the consumer
  LiveSource source(video, options);
  LiveFrame frame;
  std::int64_t last_seq = 0;
  int taken = 0;
  for (int i = 0; i < 8; ++i) {
    if (!source.wait_frame(last_seq, frame, 2000ms)) continue;
    EXPECT_GT(frame.seq, last_seq);
    last_seq = frame.seq;
    ++taken;
    std::this_thread::sleep_for(100ms); // "inference"
  }
  source.stop();
  const SourceStatus status = source.status();
  EXPECT_GE(taken, 3);
  EXPECT_GT(status.frames_dropped, 0);
  // Every decoded frame was taken, dropped, or is the one left in the slot.
  const std::int64_t unaccounted = status.frames_decoded - status.frames_dropped - taken;
  EXPECT_TRUE(unaccounted == 0 || unaccounted == 1)
      << status.frames_decoded << " decoded, " << status.frames_dropped << " dropped, " << taken << " taken";
}

// Frames stay decoded in the slot; the consumer converts the ones it wants. A refused frame
// comes back with every field but the pixels, and counts as taken (not dropped).
TEST(LiveSource, RefusedFramesAreTakenWithoutConversion) {
  const std::string clip = make_clip("refuse.mp4", 30, 25.0);
  LiveSource source(clip);
  LiveFrame frame;
  std::int64_t last_seq = 0;
  int asked = 0, converted = 0, refused = 0;
  const auto every_other = [&](const LiveFrame& f) {
    EXPECT_TRUE(f.bgr.empty()) << "asked before converting";
    EXPECT_GT(f.seq, 0);
    EXPECT_GT(f.wall_ms, 0);
    return asked++ % 2 == 0;
  };
  const auto start = std::chrono::steady_clock::now();
  while (asked < 10 && seconds_since(start) < 10.0) {
    if (!source.wait_frame(last_seq, frame, 1000ms, every_other)) continue;
    EXPECT_GT(frame.seq, last_seq);
    last_seq = frame.seq;
    if (frame.bgr.empty()) {
      ++refused;
      continue;
    }
    ++converted;
    EXPECT_EQ(frame.bgr.size(), cv::Size(160, 120));
    EXPECT_EQ(frame.bgr.type(), CV_8UC3);
    // The clip's background colour (40, 90, 160) survives the codec and the conversion.
    const cv::Vec3b corner = frame.bgr.at<cv::Vec3b>(110, 150);
    EXPECT_NEAR(corner[0], 40, 8);
    EXPECT_NEAR(corner[1], 90, 8);
    EXPECT_NEAR(corner[2], 160, 8);
  }
  EXPECT_EQ(converted + refused, asked);
  EXPECT_GE(converted, 4);
  EXPECT_GE(refused, 4);
}

// The slot hands out a new buffer each time: a frame kept by the consumer (the worker's
// latest frame, shared with viewers) is never overwritten by the next one.
TEST(LiveSource, TakenFramesKeepTheirPixels) {
  const std::string clip = make_clip("keep.mp4", 20, 25.0);
  LiveSource source(clip);
  LiveFrame frame;
  std::int64_t last_seq = 0;
  std::vector<std::pair<cv::Mat, cv::Mat>> kept; // shared, copy
  const auto start = std::chrono::steady_clock::now();
  while (kept.size() < 5 && seconds_since(start) < 10.0) {
    if (!source.wait_frame(last_seq, frame, 1000ms)) continue;
    last_seq = frame.seq;
    kept.emplace_back(frame.bgr, frame.bgr.clone());
  }
  ASSERT_EQ(kept.size(), 5u);
  for (const auto& [shared, copy] : kept)
    EXPECT_EQ(cv::norm(shared, copy, cv::NORM_INF), 0.0);
}

TEST(LiveSource, WaitFrameTimesOut) {
  SourceOptions options;
  options.backoff_initial_s = 10;
  LiveSource source("/nonexistent/tilescope/cam.mp4", options);
  LiveFrame frame;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(source.wait_frame(0, frame, 200ms));
  EXPECT_GE(seconds_since(start), 0.19);
}

TEST(LiveSource, BadOptionsAreAFailureNamingTheOption) {
  SourceOptions options;
  options.rtsp_transport = "sctp";
  LiveSource source("rtsp://127.0.0.1:1/live", options);
  ASSERT_TRUE(wait_status(
      source, [](const SourceStatus& s) { return s.failures >= 1; }, 10s));
  EXPECT_NE(source.status().last_error.find("rtsp_transport 'sctp'"), std::string::npos)
      << source.status().last_error;
}

TEST(ProbeSource, SampleVideo) {
  const std::string video = sample_video();
  if (video.empty()) GTEST_SKIP() << "sample video missing (scripts/setup fetches it)";
  const ProbeResult probe = probe_source(video, {}, 10.0);
  ASSERT_TRUE(probe.ok) << probe.error;
  EXPECT_TRUE(probe.error.empty());
  EXPECT_EQ(probe.width, 768);
  EXPECT_EQ(probe.height, 576);
  EXPECT_NEAR(probe.fps, 10.0, 0.01);
  EXPECT_FALSE(probe.codec.empty());
  EXPECT_EQ(probe.frame.cols, 768);
  EXPECT_EQ(probe.frame.type(), CV_8UC3);
  EXPECT_GT(probe.elapsed_ms, 0.0);
}

TEST(ProbeSource, FailuresNameTheSource) {
  const ProbeResult missing = probe_source("/nonexistent/tilescope/cam.mp4", {}, 5.0);
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.error.find("/nonexistent/tilescope/cam.mp4"), std::string::npos) << missing.error;
  EXPECT_TRUE(missing.frame.empty());

  const std::string text = (test_dir() / "notes.mp4").string();
  std::ofstream(text) << "this is not a video\n";
  const ProbeResult not_video = probe_source(text, {}, 5.0);
  EXPECT_FALSE(not_video.ok);
  EXPECT_NE(not_video.error.find("notes.mp4"), std::string::npos) << not_video.error;

  SilentServer silent;
  ASSERT_NE(silent.port(), 0);
  const auto start = std::chrono::steady_clock::now();
  const ProbeResult silent_probe =
      probe_source("http://viewer:pa55word@127.0.0.1:" + std::to_string(silent.port()) + "/x", {}, 1.0);
  const double took_s = seconds_since(start);
  EXPECT_FALSE(silent_probe.ok);
  EXPECT_NE(silent_probe.error.find("timed out"), std::string::npos) << silent_probe.error;
  EXPECT_EQ(silent_probe.error.find("pa55word"), std::string::npos) << silent_probe.error;
  EXPECT_LT(took_s, 5.0) << "the 1 s timeout was not kept";

  SourceOptions bad;
  bad.rtsp_transport = "carrier-pigeon";
  EXPECT_FALSE(probe_source("rtsp://127.0.0.1:1/x", bad, 1.0).ok);
}

} // namespace
} // namespace tilescope::video
