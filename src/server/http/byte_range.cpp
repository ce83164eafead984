#include "http/byte_range.h"

#include "http/api_error.h"
#include "http/header_text.h"

#include <cctype>
#include <cstdio>
#include <limits>
#include <optional>
#include <sys/stat.h>

namespace tilescope::server {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// 1*DIGIT; a number beyond 64 bits saturates (it is past the end of any file anyway).
std::optional<std::uint64_t> parse_digits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    value = value > (kMax - digit) / 10 ? kMax : value * 10 + digit;
  }
  return value;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

} // namespace

RangeDecision decide_range(std::string_view range_header, std::uint64_t size) {
  using Kind = RangeDecision::Kind;
  const RangeDecision whole;
  const auto equals = range_header.find('=');
  if (equals == std::string_view::npos) return whole;
  // Range units are case-insensitive (RFC 7233 §2); only bytes is known here.
  if (!iequals_ascii(trim_ows(range_header.substr(0, equals)), "bytes")) return whole;
  const std::string_view set = trim_ows(range_header.substr(equals + 1));
  if (set.find(',') != std::string_view::npos) return whole; // several ranges: the whole file
  const auto dash = set.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view first_text = set.substr(0, dash);
  const std::string_view last_text = set.substr(dash + 1);

  if (first_text.empty()) { // suffix: "-N", the last N bytes
    const auto suffix = parse_digits(last_text);
    if (!suffix) return whole;
    // A zero suffix, or any range of an empty file, selects nothing (§2.1).
    if (*suffix == 0 || size == 0) return {Kind::kUnsatisfiable, {}};
    const std::uint64_t length = std::min(*suffix, size);
    return {Kind::kPart, {size - length, size - 1}};
  }
  const auto first = parse_digits(first_text);
  if (!first) return whole;
  std::uint64_t last = kMax;
  if (!last_text.empty()) {
    const auto parsed = parse_digits(last_text);
    if (!parsed || *parsed < *first) return whole; // invalid (§2.1): ignored
    last = *parsed;
  }
  if (*first >= size) return {Kind::kUnsatisfiable, {}};
  return {Kind::kPart, {*first, std::min(last, size - 1)}};
}

std::string file_etag(std::uint64_t size, std::int64_t mtime_ns) {
  char text[64];
  std::snprintf(text, sizeof text, "\"%llx-%llx\"", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(mtime_ns));
  return text;
}

void apply_range(const Request& request, Response& response) {
  if (response.status != http::status::ok || response.file_path.empty() || response.file_range) return;
  struct stat info {};
  if (::stat(response.file_path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return;
  const auto size = static_cast<std::uint64_t>(info.st_size);
  const std::string etag =
      file_etag(size, static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec);
  response.headers.emplace_back("Accept-Ranges", "bytes");
  response.headers.emplace_back("ETag", etag);

  // Range is defined for GET only (§3.1); HEAD gets the whole file's headers.
  if (request.method() != http::verb::get) return;
  const auto range = request.find(http::field::range);
  if (range == request.end()) return;
  const auto if_range = request.find(http::field::if_range);
  // Strong comparison (§3.2): a weak tag or a date never matches ours, so the whole file goes.
  if (if_range != request.end() && trim_ows(view(if_range->value())) != etag) return;

  const RangeDecision decision = decide_range(view(range->value()), size);
  switch (decision.kind) {
  case RangeDecision::Kind::kWhole: return;
  case RangeDecision::Kind::kPart:
    response.status = http::status::partial_content;
    response.file_range = decision.range;
    response.headers.emplace_back("Content-Range", "bytes " + std::to_string(decision.range.first) + "-" +
                                                       std::to_string(decision.range.last) + "/" +
                                                       std::to_string(size));
    return;
  case RangeDecision::Kind::kUnsatisfiable: {
    Response refused =
        error_response(ApiError(http::status::range_not_satisfiable, "range_not_satisfiable",
                                "range: '" + std::string(trim_ows(view(range->value())).substr(0, 100)) +
                                    "' selects no byte of this " + std::to_string(size) + "-byte file",
                                "Range"));
    refused.headers.emplace_back("Accept-Ranges", "bytes");
    refused.headers.emplace_back("ETag", etag);
    refused.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    response = std::move(refused);
    return;
  }
  }
}

} // namespace tilescope::server
