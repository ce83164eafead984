// Range requests (RFC 7233, one range): the decision for a header and a size, the
// response a file route gets (206 / 416 / whole), and the file part the session streams.
#include "http/byte_range.h"
#include "http/file_part.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace tilescope::server {
namespace {

using Kind = RangeDecision::Kind;

struct RangeCase {
  const char* header;
  std::uint64_t size;
  Kind kind;
  std::uint64_t first = 0, last = 0;
};

std::string describe(const RangeCase& c) {
  return std::string("Range: '") + c.header + "', size " + std::to_string(c.size);
}

TEST(ByteRange, DecisionsFollowRfc7233) {
  const RangeCase cases[] = {
      // bytes=a-b, clamped to the end
      {"bytes=0-99", 1000, Kind::kPart, 0, 99},
      {"bytes=0-0", 1000, Kind::kPart, 0, 0},
      {"bytes=500-999", 1000, Kind::kPart, 500, 999},
      {"bytes=500-5000", 1000, Kind::kPart, 500, 999},
      {"bytes=999-999", 1000, Kind::kPart, 999, 999},
      {"bytes=0-99999999999999999999999", 1000, Kind::kPart, 0, 999}, // beyond 64 bits: saturates
      // bytes=a-
      {"bytes=0-", 1000, Kind::kPart, 0, 999},
      {"bytes=998-", 1000, Kind::kPart, 998, 999},
      // bytes=-n: the last n
      {"bytes=-1", 1000, Kind::kPart, 999, 999},
      {"bytes=-100", 1000, Kind::kPart, 900, 999},
      {"bytes=-5000", 1000, Kind::kPart, 0, 999},
      // case-insensitive unit, spaces around the set
      {"Bytes=1-2", 1000, Kind::kPart, 1, 2},
      {"bytes= 3-4 ", 1000, Kind::kPart, 3, 4},
      // unsatisfiable: 416
      {"bytes=1000-", 1000, Kind::kUnsatisfiable},
      {"bytes=1000-2000", 1000, Kind::kUnsatisfiable},
      {"bytes=99999999999999999999999-", 1000, Kind::kUnsatisfiable},
      {"bytes=-0", 1000, Kind::kUnsatisfiable},
      {"bytes=0-", 0, Kind::kUnsatisfiable},
      {"bytes=-10", 0, Kind::kUnsatisfiable},
      // ignored: the whole file
      {"bytes=5-4", 1000, Kind::kWhole},
      {"bytes=0-1,5-6", 1000, Kind::kWhole},
      {"items=0-1", 1000, Kind::kWhole},
      {"bytes 0-1", 1000, Kind::kWhole},
      {"bytes=", 1000, Kind::kWhole},
      {"bytes=-", 1000, Kind::kWhole},
      {"bytes=a-b", 1000, Kind::kWhole},
      {"bytes=1-b", 1000, Kind::kWhole},
      {"bytes=+1-2", 1000, Kind::kWhole},
      {"bytes=0x10-", 1000, Kind::kWhole},
      {"", 1000, Kind::kWhole},
  };
  for (const RangeCase& c : cases) {
    const RangeDecision decision = decide_range(c.header, c.size);
    EXPECT_EQ(decision.kind, c.kind) << describe(c);
    if (c.kind == Kind::kPart && decision.kind == Kind::kPart) {
      EXPECT_EQ(decision.range.first, c.first) << describe(c);
      EXPECT_EQ(decision.range.last, c.last) << describe(c);
    }
  }
}

class TempFile {
public:
  explicit TempFile(const std::string& bytes) {
    path_ = (std::filesystem::temp_directory_path() /
             ("tilescope_range_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++)))
                .string();
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

private:
  static inline int counter_ = 0;
  std::string path_;
};

std::string digits(std::size_t n) {
  std::string text;
  for (std::size_t i = 0; i < n; ++i)
    text.push_back(static_cast<char>('0' + i % 10));
  return text;
}

std::string header(const Response& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

Response file_response(const std::string& path, http::verb method,
                       std::vector<std::pair<http::field, std::string>> fields) {
  Request request{method, "/x", 11};
  for (const auto& [field, value] : fields)
    request.set(field, value);
  Response response = Response::file(path, "video/mp4");
  apply_range(request, response);
  return response;
}

TEST(ByteRange, FileResponsesGetPartsAndRefusals) {
  TempFile file(digits(1000));

  const Response whole = file_response(file.path(), http::verb::get, {});
  EXPECT_EQ(whole.status, http::status::ok);
  EXPECT_FALSE(whole.file_range);
  EXPECT_EQ(header(whole, "Accept-Ranges"), "bytes");
  const std::string etag = header(whole, "ETag");
  ASSERT_GE(etag.size(), 5u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');

  const Response part = file_response(file.path(), http::verb::get, {{http::field::range, "bytes=100-199"}});
  EXPECT_EQ(part.status, http::status::partial_content);
  ASSERT_TRUE(part.file_range);
  EXPECT_EQ(part.file_range->first, 100u);
  EXPECT_EQ(part.file_range->length(), 100u);
  EXPECT_EQ(header(part, "Content-Range"), "bytes 100-199/1000");
  EXPECT_EQ(part.file_path, file.path());

  const Response refused = file_response(file.path(), http::verb::get, {{http::field::range, "bytes=1000-"}});
  EXPECT_EQ(refused.status, http::status::range_not_satisfiable);
  EXPECT_TRUE(refused.file_path.empty());
  EXPECT_EQ(header(refused, "Content-Range"), "bytes */1000");
  const auto error = nlohmann::json::parse(refused.body)["error"];
  EXPECT_EQ(error["code"], "range_not_satisfiable");
  EXPECT_EQ(error["field"], "Range");

  // If-Range: the range only while the file still has the tag the client saw.
  EXPECT_EQ(file_response(file.path(), http::verb::get,
                          {{http::field::range, "bytes=0-9"}, {http::field::if_range, etag}})
                .status,
            http::status::partial_content);
  for (const char* stale : {"\"0-0\"", "W/\"0-0\"", "Thu, 01 Jan 1970 00:00:00 GMT"}) {
    const Response fresh = file_response(file.path(), http::verb::get,
                                         {{http::field::range, "bytes=0-9"}, {http::field::if_range, stale}});
    EXPECT_EQ(fresh.status, http::status::ok) << stale;
    EXPECT_FALSE(fresh.file_range) << stale;
  }

  // HEAD and other methods: the validators, never a part.
  const Response head = file_response(file.path(), http::verb::head, {{http::field::range, "bytes=0-9"}});
  EXPECT_EQ(head.status, http::status::ok);
  EXPECT_FALSE(head.file_range);
  EXPECT_EQ(header(head, "Accept-Ranges"), "bytes");

  // Not a file response, or not a 200: untouched.
  Request ranged{http::verb::get, "/x", 11};
  ranged.set(http::field::range, "bytes=0-1");
  Response json = Response::json({{"a", 1}});
  apply_range(ranged, json);
  EXPECT_EQ(json.status, http::status::ok);
  EXPECT_TRUE(json.headers.empty());
  Response missing = Response::file(file.path() + ".nope", "image/jpeg");
  apply_range(ranged, missing);
  EXPECT_EQ(missing.status, http::status::ok);
  EXPECT_FALSE(missing.file_range);
}

TEST(ByteRange, EtagChangesWithTheFile) {
  EXPECT_NE(file_etag(1000, 1), file_etag(1000, 2));
  EXPECT_NE(file_etag(1000, 1), file_etag(1001, 1));
  EXPECT_EQ(file_etag(255, 16), "\"ff-10\"");
}

std::string read_all(FilePart& part) {
  boost::beast::error_code ec;
  std::string out;
  char buffer[7]; // small: many reads, each bounded by the part's end
  for (;;) {
    const std::size_t n = part.read(buffer, sizeof buffer, ec);
    EXPECT_FALSE(ec) << ec.message();
    if (ec || n == 0) break;
    out.append(buffer, n);
  }
  return out;
}

TEST(FilePart, ReadsOnlyItsRange) {
  const std::string bytes = digits(100);
  TempFile file(bytes);
  boost::beast::error_code ec;

  FilePart whole;
  whole.open_part(file.path().c_str(), std::nullopt, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(whole.size(ec), 100u);
  EXPECT_EQ(read_all(whole), bytes);

  FilePart part;
  part.open_part(file.path().c_str(), ByteRange{10, 29}, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(part.size(ec), 20u);
  EXPECT_EQ(part.pos(ec), 0u);
  EXPECT_EQ(read_all(part), bytes.substr(10, 20));
  part.seek(15, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(read_all(part), bytes.substr(25, 5));
  part.seek(21, ec);
  EXPECT_TRUE(ec) << "a seek past the part's end";

  FilePart last;
  last.open_part(file.path().c_str(), ByteRange{99, 99}, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(read_all(last), "9");

  // The file shrank since the range was decided: refused, not a short body.
  FilePart beyond;
  beyond.open_part(file.path().c_str(), ByteRange{90, 100}, ec);
  EXPECT_TRUE(ec);
  EXPECT_FALSE(beyond.is_open());
  FilePart gone;
  gone.open_part((file.path() + ".nope").c_str(), std::nullopt, ec);
  EXPECT_TRUE(ec);

  FilePart writer;
  writer.open(file.path().c_str(), boost::beast::file_mode::write, ec);
  EXPECT_TRUE(ec) << "read-only";
}

} // namespace
} // namespace tilescope::server
