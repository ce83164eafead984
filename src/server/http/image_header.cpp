#include "http/image_header.h"

#include <cstdint>

namespace tilescope::server {
namespace {

unsigned byte_at(std::string_view bytes, std::size_t i) { return static_cast<unsigned char>(bytes[i]); }
unsigned be16(std::string_view bytes, std::size_t i) {
  return byte_at(bytes, i) << 8 | byte_at(bytes, i + 1);
}
std::uint32_t be32(std::string_view bytes, std::size_t i) {
  return static_cast<std::uint32_t>(be16(bytes, i)) << 16 | be16(bytes, i + 2);
}

// PNG: 8-byte signature, then the IHDR chunk: length (4), "IHDR", width (4), height (4).
std::optional<ImageHeader> png(std::string_view bytes) {
  static constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);
  if (bytes.size() < 24 || bytes.substr(0, 8) != kSignature || bytes.substr(12, 4) != "IHDR")
    return std::nullopt;
  const std::uint32_t width = be32(bytes, 16), height = be32(bytes, 20);
  if (width == 0 || height == 0 || width > 0x7fffffff || height > 0x7fffffff) return std::nullopt;
  return ImageHeader{ImageHeader::Format::kPng, static_cast<int>(width), static_cast<int>(height)};
}

// JPEG (ITU T.81 B.1): SOI, then segments "FF marker length(2) payload" until a frame
// header SOFn (C0..CF except DHT C4, JPG C8, DAC CC): precision (1), height (2), width (2).
std::optional<ImageHeader> jpeg(std::string_view bytes) {
  if (bytes.size() < 4 || byte_at(bytes, 0) != 0xFF || byte_at(bytes, 1) != 0xD8) return std::nullopt;
  std::size_t i = 2;
  while (i + 4 <= bytes.size()) {
    if (byte_at(bytes, i) != 0xFF) return std::nullopt;
    const unsigned marker = byte_at(bytes, i + 1);
    if (marker == 0xFF) { // fill byte
      ++i;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { // no length
      i += 2;
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt; // end of image / scan before any frame header
    const unsigned length = be16(bytes, i + 2);
    if (length < 2) return std::nullopt;
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (i + 9 > bytes.size() || length < 7) return std::nullopt;
      const int height = static_cast<int>(be16(bytes, i + 5));
      const int width = static_cast<int>(be16(bytes, i + 7));
      // Height 0 means "defined by a DNL marker later": no size to check, refuse.
      if (width == 0 || height == 0) return std::nullopt;
      return ImageHeader{ImageHeader::Format::kJpeg, width, height};
    }
    i += 2 + length;
  }
  return std::nullopt;
}

} // namespace

std::optional<ImageHeader> read_image_header(std::string_view bytes) {
  if (auto header = png(bytes)) return header;
  return jpeg(bytes);
}

} // namespace tilescope::server
