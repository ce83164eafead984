// POST /api/v1/detect and /api/v1/jobs over a real system: JSON and annotated answers,
// multipart uploads, option validation, size limits, job lifecycle and id checks.
#include "api_fixture.h"

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <sstream>

namespace tilescope::server::testing {
namespace {

using nlohmann::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

std::string multipart(const std::string& field, const std::string& filename, const std::string& bytes) {
  return "--XyZ\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\"" + filename +
         "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n--XyZ--\r\n";
}
const std::string kMultipartType = "multipart/form-data; boundary=XyZ";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST_F(ApiTest, DetectAnswersJsonAnnotatedJpegAndMultipart) {
  const std::string jpeg = camera_jpeg();
  HttpResult plain = client_.request(http::verb::post, "/api/v1/detect", jpeg, "image/jpeg");
  ASSERT_EQ(plain.status, 200) << plain.body;
  const json result = plain.json();
  EXPECT_EQ(result["width"], 768);
  EXPECT_EQ(result["height"], 576);
  EXPECT_TRUE(result["full_frame"].get<bool>());
  ASSERT_FALSE(result["detections"].empty()) << "no pedestrian found in a frame of vtest.avi";
  bool person = false;
  for (const json& d : result["detections"]) {
    EXPECT_EQ(d["box"].size(), 4u);
    person |= d["label"] == "person";
  }
  EXPECT_TRUE(person);

  HttpResult sliced =
      client_.request(http::verb::post, "/api/v1/detect?slice=384x288&overlap=0.25&conf=0.3&classes=person",
                      jpeg, "application/octet-stream");
  ASSERT_EQ(sliced.status, 200) << sliced.body;
  EXPECT_GE(sliced.json()["tiles"].size(), 4u);
  const json sliced_result = sliced.json(); // a named value: a range-for over a temporary's member dangles
  for (const json& d : sliced_result["detections"])
    EXPECT_EQ(d["label"], "person");

  HttpResult annotated = client_.request(http::verb::post, "/api/v1/detect?annotate=1", jpeg, "image/jpeg");
  ASSERT_EQ(annotated.status, 200);
  EXPECT_EQ(annotated.header("Content-Type"), "image/jpeg");
  EXPECT_EQ(annotated.header("X-Detections"), std::to_string(result["detections"].size()));
  EXPECT_FALSE(
      cv::imdecode(cv::Mat(1, static_cast<int>(annotated.body.size()), CV_8UC1, annotated.body.data()),
                   cv::IMREAD_COLOR)
          .empty());

  HttpResult form = client_.request(http::verb::post, "/api/v1/detect", multipart("image", "frame.jpg", jpeg),
                                    kMultipartType);
  ASSERT_EQ(form.status, 200) << form.body;
  EXPECT_EQ(form.json()["detections"].size(), result["detections"].size());
}

TEST_F(ApiTest, DetectRejectsBadInputNamingIt) {
  const std::string jpeg = camera_jpeg();
  const std::pair<std::string, std::string> queries[] = {
      {"slice=banana", "slice"},
      {"conf=2", "conf"},
      {"iou=-0.1", "iou"},
      {"overlap=1", "overlap"},
      {"min_object=0", "min_object"},
      {"classes=unicorn", "classes"},
      {"annotate=perhaps", "annotate"},
      {"confidence=0.5", "confidence"},
  };
  for (const auto& [query, field] : queries) {
    HttpResult r = client_.request(http::verb::post, "/api/v1/detect?" + query, jpeg, "image/jpeg");
    EXPECT_EQ(r.status, 400) << query;
    if (r.status == 400) {
      EXPECT_EQ(r.json()["error"]["field"], field) << r.body;
    }
  }
  HttpResult text = client_.request(http::verb::post, "/api/v1/detect", "hello, not an image", "image/jpeg");
  EXPECT_EQ(text.status, 400);
  EXPECT_EQ(text.json()["error"]["field"], "body");
  EXPECT_EQ(client_.request(http::verb::post, "/api/v1/detect", "", "image/jpeg").status, 400);
  // A PNG whose header claims 65536 x 65536 pixels: refused before decoding.
  std::vector<unsigned char> png;
  cv::imencode(".png", cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(0)), png);
  png[16] = 0, png[17] = 1, png[18] = 0, png[19] = 0;
  png[20] = 0, png[21] = 1, png[22] = 0, png[23] = 0;
  HttpResult bomb =
      client_.request(http::verb::post, "/api/v1/detect", std::string(png.begin(), png.end()), "image/png");
  EXPECT_EQ(bomb.status, 413) << bomb.body;
  // A JPEG cut before its frame header: 400 (libjpeg decodes a JPEG cut later, grey below the cut).
  EXPECT_EQ(client_.request(http::verb::post, "/api/v1/detect", jpeg.substr(0, 40), "image/jpeg").status,
            400);
  HttpResult wrong_field = client_.request(http::verb::post, "/api/v1/detect",
                                           multipart("picture", "a.jpg", jpeg), kMultipartType);
  EXPECT_EQ(wrong_field.status, 400);
  EXPECT_EQ(wrong_field.json()["error"]["field"], "image");
  EXPECT_EQ(client_.get("/api/v1/detect").status, 405);
}

TEST_F(ApiTest, UploadsOverTheLimitAre413) {
  const std::string big(17 * 1024 * 1024, 'x'); // server.max_upload_mb = 16
  HttpResult r = client_.request(http::verb::post, "/api/v1/detect", big, "image/jpeg");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json()["error"]["code"], "too_large");
  // Chunked (no Content-Length): found while reading.
  std::string chunked = "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(1024 * 1024, 'y');
  for (int i = 0; i < 17; ++i)
    chunked += "100000\r\n" + chunk + "\r\n";
  chunked += "0\r\n\r\n";
  HttpResult streamed = client_.raw(chunked, 60s);
  EXPECT_EQ(streamed.status, 413);
  // The server still serves.
  EXPECT_EQ(client_.get("/healthz").status, 200);
}

TEST_F(ApiTest, JobFromPathRunsToResultAndVideo) {
  HttpResult created =
      client_.post_json("/api/v1/jobs?conf=0.3", json({{"path", kVideo}, {"max_frames", 4}}).dump());
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id = created.json()["id"];
  EXPECT_EQ(id.size(), 16u);
  EXPECT_EQ(created.header("Location"), "/api/v1/jobs/" + id);
  json job;
  ASSERT_TRUE(wait_until(
      [&] {
        job = client_.get("/api/v1/jobs/" + id).json();
        return job["state"] != "queued" && job["state"] != "running";
      },
      300s));
  ASSERT_EQ(job["state"], "done") << job.dump();
  EXPECT_EQ(job["frames_done"], 4);
  EXPECT_EQ(job["input"], "vtest.avi");
  EXPECT_EQ(job["result_url"], "/api/v1/jobs/" + id + "/result.json");
  for (const char* key : {"progress", "error", "created_ms", "finished_ms", "video_url", "frames_total"})
    EXPECT_TRUE(job.contains(key)) << key;

  HttpResult lines = client_.get("/api/v1/jobs/" + id + "/result.json");
  ASSERT_EQ(lines.status, 200);
  std::istringstream in(lines.body);
  std::string line;
  int frames = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    EXPECT_NO_THROW(json::parse(line)) << line;
    ++frames;
  }
  EXPECT_EQ(frames, 4);
  HttpResult video = client_.get("/api/v1/jobs/" + id + "/video.mp4");
  ASSERT_EQ(video.status, 200);
  EXPECT_EQ(video.header("Content-Type"), "video/mp4");
  EXPECT_GT(video.body.size(), 1000u);

  bool listed = false;
  HttpResult all = client_.get("/api/v1/jobs");
  const json jobs = all.json();
  for (const json& j : jobs["jobs"])
    listed |= j["id"] == id;
  EXPECT_TRUE(listed) << all.body;
  // An ended job: DELETE removes it.
  EXPECT_EQ(client_.request(http::verb::delete_, "/api/v1/jobs/" + id).status, 204);
  EXPECT_EQ(client_.get("/api/v1/jobs/" + id).status, 404);
}

TEST_F(ApiTest, JobFromUploadAndCancel) {
  const std::string bytes = read_file(kVideo);
  HttpResult created = client_.request(http::verb::post, "/api/v1/jobs?filename=clip.avi&max_frames=500",
                                       bytes, "application/octet-stream");
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id = created.json()["id"];
  HttpResult cancelled = client_.request(http::verb::delete_, "/api/v1/jobs/" + id);
  ASSERT_TRUE(cancelled.status == 202 || cancelled.status == 204) << cancelled.body;
  json job;
  ASSERT_TRUE(wait_until(
      [&] {
        HttpResult r = client_.get("/api/v1/jobs/" + id);
        if (r.status != 200) return false;
        job = r.json();
        return job["state"] != "queued" && job["state"] != "running";
      },
      120s));
  EXPECT_EQ(job["state"], "cancelled") << job.dump();
  EXPECT_EQ(client_.get("/api/v1/jobs/" + id + "/result.json").status, 404);

  // Multipart upload.
  HttpResult form = client_.request(http::verb::post, "/api/v1/jobs?max_frames=1",
                                    multipart("video", "clip.avi", bytes), kMultipartType);
  ASSERT_EQ(form.status, 202) << form.body;
  client_.request(http::verb::delete_, "/api/v1/jobs/" + form.json()["id"].get<std::string>());
}

TEST_F(ApiTest, JobInputsAndIdsAreChecked) {
  const std::pair<std::string, std::string> bodies[] = {
      {R"({"path": "relative/clip.mp4"})", "path"},
      {R"({"path": "/no/such/clip.mp4"})", "path"},
      {R"({"file": "/tmp/x"})", "file"},
      {R"({"path": 5})", "path"},
      {R"({"path": "/etc/hostname", "conf": "high"})", "conf"},
      {R"({"path": "/etc/hostname", "max_frames": -1})", "max_frames"},
      {R"({"path": )", "body"},
  };
  for (const auto& [body, field] : bodies) {
    HttpResult r = client_.post_json("/api/v1/jobs", body);
    EXPECT_EQ(r.status, 400) << body;
    if (r.status == 400) {
      EXPECT_EQ(r.json()["error"]["field"], field) << body << " -> " << r.body;
    }
  }
  // Not a video: the system refuses it, and the upload is not kept (other tests' uploads may be there).
  const auto uploads = std::filesystem::path(storage_dir()) / "jobs" / "uploads";
  auto files = [&] {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(uploads, ec))
      names.insert(entry.path().string());
    return names;
  };
  const std::set<std::string> before = files();
  HttpResult junk = client_.request(http::verb::post, "/api/v1/jobs", "definitely not a video", "video/mp4");
  EXPECT_EQ(junk.status, 400) << junk.body;
  EXPECT_EQ(junk.json()["error"]["field"], "body");
  for (const std::string& name : files())
    EXPECT_TRUE(before.count(name)) << "upload left behind: " << name;
  EXPECT_EQ(client_.request(http::verb::post, "/api/v1/jobs", "", "video/mp4").status, 400);
  EXPECT_EQ(
      client_.post_json("/api/v1/jobs?slice=nope", json({{"path", kVideo}}).dump()).json()["error"]["field"],
      "slice");

  for (const char* bad : {"xyz", "0123456789ABCDEF", "0123456789abcde", "..%2F..%2Fetc%2Fpasswd", "%2e%2e",
                          "0123456789abcdef0"}) {
    for (const char* rest : {"", "/result.json", "/video.mp4"}) {
      HttpResult r = client_.get(std::string("/api/v1/jobs/") + bad + rest);
      EXPECT_EQ(r.status, 400) << bad << rest;
      EXPECT_EQ(r.json()["error"]["field"], "id");
    }
  }
  EXPECT_EQ(client_.get("/api/v1/jobs/0123456789abcdef").status, 404);
  EXPECT_EQ(client_.get("/api/v1/jobs/0123456789abcdef/video.mp4").status, 404);
  EXPECT_EQ(client_.request(http::verb::delete_, "/api/v1/jobs/0123456789abcdef").status, 404);
}

} // namespace
} // namespace tilescope::server::testing
