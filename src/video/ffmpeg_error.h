// FFmpeg error codes as text, for messages that name the reason.
#pragma once

#include <mutex>
#include <string>

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

namespace tilescope::video {

inline std::string av_error_text(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof(buf));
  return buf;
}

// FFmpeg logs every encoder setting and recoverable glitch to stderr; tilescope
// reports failures itself, so only FFmpeg's errors are let through.
inline void quiet_ffmpeg_logs() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_ERROR); });
}

} // namespace tilescope::video
