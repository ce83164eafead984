// FFmpeg's own log lines go through tilescope's callback: only errors, and no URL password
// (FFmpeg prints URLs as given, e.g. an HLS segment it cannot open).
#include "ffmpeg_error.h"

#include <gtest/gtest.h>

namespace tilescope::video {
namespace {

TEST(FfmpegLog, RedactsEveryUrlInALine) {
  EXPECT_EQ(redact_urls_in_text("Opening 'rtsp://admin:pw1@10.0.0.5:554/live' for reading"),
            "Opening 'rtsp://admin:***@10.0.0.5:554/live' for reading");
  EXPECT_EQ(redact_urls_in_text("a http://u:pw2@h/x and https://v:pw3@h2:8443/y?z=1\n"),
            "a http://u:***@h/x and https://v:***@h2:8443/y?z=1\n");
  EXPECT_EQ(redact_urls_in_text("no url here"), "no url here");
  EXPECT_EQ(redact_urls_in_text("rtsp://cam/live without user"), "rtsp://cam/live without user");
}

TEST(FfmpegLog, ErrorsArePrintedRedactedAndChatterIsNot) {
  quiet_ffmpeg_logs();
  ::testing::internal::CaptureStderr();
  av_log(nullptr, AV_LOG_ERROR, "Failed to open segment http://viewer:s3cret@127.0.0.1/seg1.ts\n");
  av_log(nullptr, AV_LOG_INFO, "Opening 'http://viewer:s3cret@127.0.0.1/seg2.ts' for reading\n");
  const std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(logged.find("http://viewer:***@127.0.0.1/seg1.ts"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("s3cret"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("seg2"), std::string::npos) << logged;
}

} // namespace
} // namespace tilescope::video
