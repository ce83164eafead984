// HTTP range requests (RFC 7233), one byte range per request: what lets a browser
// seek a job's annotated video.mp4 or fetch part of a snapshot.
//
//   Range: bytes=0-499     the first 500 bytes          -> 206, Content-Range: bytes 0-499/SIZE
//   Range: bytes=500-      from byte 500 to the end     -> 206
//   Range: bytes=-500      the last 500 bytes           -> 206
//   Range: bytes=SIZE-     starts past the end          -> 416, Content-Range: bytes */SIZE
//
// Ignored (the whole file, 200), as RFC 7233 §3.1 allows: another unit, a malformed
// value, several ranges (a multipart/byteranges body buys a browser nothing), and an
// If-Range that does not match the file's current ETag (the file changed since the
// client's first part: mixing old and new bytes would corrupt its copy).
#pragma once

#include "http/http_message.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace tilescope::server {

struct RangeDecision {
  enum class Kind { kWhole, kPart, kUnsatisfiable };
  Kind kind = Kind::kWhole;
  ByteRange range; // kPart: within [0, size)
};

// What a `Range` header value asks of a representation of `size` bytes.
RangeDecision decide_range(std::string_view range_header, std::uint64_t size);

// A strong validator for a file: its size and modification time ("\"<size>-<mtime ns>\"" in hex).
std::string file_etag(std::uint64_t size, std::int64_t mtime_ns);

// For a 200 file response (Response::file): adds Accept-Ranges and ETag and, for a GET
// with a Range header, turns it into 206 with `file_range` and Content-Range, or into
// 416. Other responses pass unchanged, as does a file that cannot be stat'ed (the
// session then answers 404 as for any file that went away).
void apply_range(const Request& request, Response& response);

} // namespace tilescope::server
