// A file, or one byte range of it, as Beast's File concept: the body of a file response
// (http::basic_file_body<FilePart>), so a 206 streams its part from disk like a 200
// streams the whole file, never loading a video into memory.
#pragma once

#include "http/http_message.h"

#include <boost/beast/core/file.hpp>
#include <cstdint>
#include <optional>

namespace tilescope::server {

class FilePart {
public:
  // Opens `path` for reading, restricted to `range` (the whole file when nullopt).
  // Fails (ec set, closed) when the file is shorter than the range asks: it changed
  // since the range was decided.
  void open_part(const char* path, std::optional<ByteRange> range, boost::beast::error_code& ec);

  // The File concept; positions and sizes are relative to the part.
  bool is_open() const { return file_.is_open(); }
  void close(boost::beast::error_code& ec) { file_.close(ec); }
  void open(const char* path, boost::beast::file_mode mode, boost::beast::error_code& ec);
  std::uint64_t size(boost::beast::error_code& ec) const;
  std::uint64_t pos(boost::beast::error_code& ec) const;
  void seek(std::uint64_t offset, boost::beast::error_code& ec);
  std::size_t read(void* buffer, std::size_t n, boost::beast::error_code& ec) const;
  std::size_t write(const void* buffer, std::size_t n, boost::beast::error_code& ec); // read-only: fails

private:
  boost::beast::file file_;
  std::uint64_t offset_ = 0;
  std::uint64_t length_ = 0;
};

} // namespace tilescope::server
