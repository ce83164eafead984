// The size of a JPEG or PNG image read from its header, before decoding: uploads are
// checked against a pixel limit first, so a small file that decodes into gigabytes
// (a "decompression bomb") is refused instead of allocated.
#pragma once

#include <optional>
#include <string_view>

namespace tilescope::server {

struct ImageHeader {
  enum class Format { kJpeg, kPng };
  Format format;
  int width = 0, height = 0;
};

// nullopt when the bytes are neither a PNG (IHDR) nor a JPEG with a frame header (SOFn)
// in the bytes given.
std::optional<ImageHeader> read_image_header(std::string_view bytes);

} // namespace tilescope::server
