// FFmpeg error codes as text, and FFmpeg's own log lines kept quiet and free of passwords.
#pragma once

#include "tilescope/core/redact.h"

#include <cctype>
#include <cstdarg>
#include <cstdio>
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

// Every URL in a line of text ("... scheme://user:pass@host/...") with its password
// replaced: FFmpeg's messages name the URLs they open (an HLS segment, a redirect).
inline std::string redact_urls_in_text(const std::string& text) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const auto scheme_end = text.find("://", pos);
    if (scheme_end == std::string::npos) break;
    auto begin = scheme_end;
    while (begin > pos && (std::isalnum(static_cast<unsigned char>(text[begin - 1])) != 0 ||
                           text[begin - 1] == '+' || text[begin - 1] == '-' || text[begin - 1] == '.'))
      --begin;
    auto end = text.find_first_of(" \t\r\n'\"<>", scheme_end);
    if (end == std::string::npos) end = text.size();
    out += text.substr(pos, begin - pos);
    out += redact_url(text.substr(begin, end - begin));
    pos = end;
  }
  return out + text.substr(pos);
}

// FFmpeg logs every encoder setting and recoverable glitch to stderr; tilescope
// reports failures itself, so only FFmpeg's errors are let through, and those with
// any URL password redacted (FFmpeg would print it as given).
inline void quiet_ffmpeg_logs() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_level(AV_LOG_ERROR);
    av_log_set_callback([](void* avcl, int level, const char* fmt, va_list args) {
      if (level > av_log_get_level()) return;
      thread_local int print_prefix = 1;
      char line[2048];
      av_log_format_line2(avcl, level, fmt, args, line, sizeof(line), &print_prefix);
      std::fputs(redact_urls_in_text(line).c_str(), stderr);
    });
  });
}

} // namespace tilescope::video
