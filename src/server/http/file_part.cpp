#include "http/file_part.h"

#include <algorithm>
#include <boost/system/error_code.hpp>

namespace tilescope::server {

namespace errc = boost::system::errc;

void FilePart::open_part(const char* path, std::optional<ByteRange> range, boost::beast::error_code& ec) {
  file_.open(path, boost::beast::file_mode::scan, ec);
  if (ec) return;
  const std::uint64_t size = file_.size(ec);
  if (ec) return;
  offset_ = range ? range->first : 0;
  length_ = range ? range->length() : size;
  if (offset_ > size || length_ > size - offset_) {
    ec = errc::make_error_code(errc::invalid_seek);
  } else {
    file_.seek(offset_, ec);
  }
  if (ec) {
    boost::beast::error_code ignored;
    file_.close(ignored);
  }
}

void FilePart::open(const char* path, boost::beast::file_mode mode, boost::beast::error_code& ec) {
  if (mode != boost::beast::file_mode::read && mode != boost::beast::file_mode::scan) {
    ec = errc::make_error_code(errc::operation_not_supported);
    return;
  }
  open_part(path, std::nullopt, ec);
}

std::uint64_t FilePart::size(boost::beast::error_code& ec) const {
  ec = {};
  return length_;
}

std::uint64_t FilePart::pos(boost::beast::error_code& ec) const {
  const std::uint64_t at = file_.pos(ec);
  return ec ? 0 : at - offset_;
}

void FilePart::seek(std::uint64_t offset, boost::beast::error_code& ec) {
  if (offset > length_) {
    ec = errc::make_error_code(errc::invalid_seek);
    return;
  }
  file_.seek(offset_ + offset, ec);
}

std::size_t FilePart::read(void* buffer, std::size_t n, boost::beast::error_code& ec) const {
  const std::uint64_t at = pos(ec);
  if (ec) return 0;
  const std::uint64_t left = length_ - std::min(at, length_);
  return file_.read(buffer, static_cast<std::size_t>(std::min<std::uint64_t>(n, left)), ec);
}

std::size_t FilePart::write(const void*, std::size_t, boost::beast::error_code& ec) {
  ec = errc::make_error_code(errc::operation_not_supported);
  return 0;
}

} // namespace tilescope::server
