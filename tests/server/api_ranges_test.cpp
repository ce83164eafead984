// Range requests over real sockets (RFC 7233, one range): a job's annotated video.mp4,
// read in parts as a browser seeking a <video> does, and an event's snapshot JPEG.
#include "api_fixture.h"

#include <nlohmann/json.hpp>

namespace tilescope::server::testing {
namespace {

using nlohmann::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

TEST_F(ApiTest, JobVideoServesByteRanges) {
  HttpResult created = client_.post_json("/api/v1/jobs", json({{"path", kVideo}, {"max_frames", 6}}).dump());
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id = created.json()["id"];
  json job;
  ASSERT_TRUE(wait_until(
      [&] {
        job = client_.get("/api/v1/jobs/" + id).json();
        return job["state"] != "queued" && job["state"] != "running";
      },
      300s));
  ASSERT_EQ(job["state"], "done") << job.dump();
  const std::string target = "/api/v1/jobs/" + id + "/video.mp4";
  HttpResult whole = client_.get(target);
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.header("Accept-Ranges"), "bytes");
  const std::string etag = whole.header("ETag");
  EXPECT_FALSE(etag.empty());
  const std::string& bytes = whole.body;
  const std::size_t size = bytes.size();
  ASSERT_GT(size, 1000u);
  const std::string total = "/" + std::to_string(size);

  // What Chrome sends first, then a seek, then the MP4 index at the end.
  HttpResult open = client_.get(target, {{"Range", "bytes=0-"}});
  EXPECT_EQ(open.status, 206);
  EXPECT_EQ(open.header("Content-Range"), "bytes 0-" + std::to_string(size - 1) + total);
  EXPECT_EQ(open.body, bytes);
  HttpResult first = client_.get(target, {{"Range", "bytes=0-99"}});
  EXPECT_EQ(first.status, 206);
  EXPECT_EQ(first.header("Content-Range"), "bytes 0-99" + total);
  EXPECT_EQ(first.header("Content-Length"), "100");
  EXPECT_EQ(first.header("Content-Type"), "video/mp4");
  EXPECT_EQ(first.body, bytes.substr(0, 100));
  const std::size_t middle = size / 2;
  HttpResult seek = client_.get(target, {{"Range", "bytes=" + std::to_string(middle) + "-"}});
  EXPECT_EQ(seek.status, 206);
  EXPECT_EQ(seek.body, bytes.substr(middle));
  HttpResult tail = client_.get(target, {{"Range", "bytes=-64"}});
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.header("Content-Range"),
            "bytes " + std::to_string(size - 64) + "-" + std::to_string(size - 1) + total);
  EXPECT_EQ(tail.body, bytes.substr(size - 64));
  // The whole file again, in three consecutive parts on one keep-alive connection.
  std::string joined;
  for (const std::string& range : {"bytes=0-" + std::to_string(middle - 1),
                                   "bytes=" + std::to_string(middle) + "-" + std::to_string(size - 2),
                                   "bytes=" + std::to_string(size - 1) + "-" + std::to_string(size + 1000)}) {
    HttpResult part = client_.get(target, {{"Range", range}, {"If-Range", etag}});
    EXPECT_EQ(part.status, 206) << range;
    joined += part.body;
  }
  EXPECT_EQ(joined, bytes);

  // Past the end: 416 with the size; the connection still serves.
  HttpResult past = client_.get(target, {{"Range", "bytes=" + std::to_string(size) + "-"}});
  EXPECT_EQ(past.status, 416);
  EXPECT_EQ(past.header("Content-Range"), "bytes */" + std::to_string(size));
  EXPECT_EQ(past.json()["error"]["code"], "range_not_satisfiable");
  EXPECT_EQ(client_.get(target, {{"Range", "bytes=-0"}}).status, 416);
  // Ignored: the whole file.
  for (const char* ignored : {"bytes=0-1,4-5", "bytes=9-3", "pages=1-2", "bytes=x-"}) {
    HttpResult r = client_.get(target, {{"Range", ignored}});
    EXPECT_EQ(r.status, 200) << ignored;
    EXPECT_EQ(r.body.size(), size) << ignored;
  }
  HttpResult stale = client_.get(target, {{"Range", "bytes=0-9"}, {"If-Range", "\"other\""}});
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body.size(), size);
  // HEAD: the whole file's length, and that ranges are served.
  HttpResult head = client_.request(http::verb::head, target, "", "", {{"Range", "bytes=0-9"}});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), std::to_string(size));
  EXPECT_EQ(head.header("Accept-Ranges"), "bytes");
}

TEST_F(ApiTest, EventSnapshotServesByteRanges) {
  const std::int64_t id = wait_for_event(180s);
  ASSERT_GT(id, 0) << "no event with a snapshot from the sample video";
  const std::string target = "/api/v1/events/" + std::to_string(id) + "/snapshot.jpg";
  HttpResult whole = client_.get(target);
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.header("Accept-Ranges"), "bytes");
  const std::string etag = whole.header("ETag");
  ASSERT_FALSE(etag.empty());
  const std::size_t size = whole.body.size();
  ASSERT_GT(size, 100u);
  // The event is live: a better snapshot may replace the file between requests. With
  // If-Range the answer is then the new whole file (200, another ETag), never a part of it.
  HttpResult head = client_.get(target, {{"Range", "bytes=0-1"}, {"If-Range", etag}});
  if (head.status == 206) {
    EXPECT_EQ(head.body, whole.body.substr(0, 2));
    EXPECT_EQ(head.body, "\xff\xd8"); // a JPEG's SOI marker
    EXPECT_EQ(head.header("Content-Range"), "bytes 0-1/" + std::to_string(size));
  } else {
    EXPECT_EQ(head.status, 200);
    EXPECT_NE(head.header("ETag"), etag);
  }
  HttpResult end = client_.get(target, {{"Range", "bytes=-2"}});
  EXPECT_EQ(end.status, 206);
  EXPECT_EQ(end.body, "\xff\xd9"); // EOI, whatever the current snapshot
  HttpResult past = client_.get(target, {{"Range", "bytes=100000000-"}});
  EXPECT_EQ(past.status, 416);
  EXPECT_EQ(past.header("Content-Range").rfind("bytes */", 0), 0u);
}

} // namespace
} // namespace tilescope::server::testing
