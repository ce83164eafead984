// POST /api/v1/detect (one image, answered at once) and /api/v1/jobs (videos,
// processed in the background by the system). Uploads arrive whole in memory, capped
// by server.max_upload_mb (the session answers 413 beyond it); job uploads are written
// to <storage>/jobs/uploads/<random>.<ext> and removed by the system when the job ends.
// Job ids are checked to be 16 hex characters before anything touches the disk.
#include "api.h"
#include "api_json.h"
#include "detect_options.h"
#include "http/api_error.h"
#include "http/auth.h"
#include "http/image_header.h"
#include "request_body.h"
#include "tilescope/detect/annotate.h"

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <spdlog/spdlog.h>

namespace tilescope::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// 8192 x 6104: more than any camera; 150 MB as a BGR frame.
constexpr std::int64_t kMaxImagePixels = 50'000'000;

Response detect(ApiContext& context, RequestContext& request) {
  request.query.allow_only(
      {"slice", "overlap", "min_object", "budget_ms", "full_frame", "conf", "iou", "classes", "annotate"});
  const std::vector<std::string>& class_names = context.system.class_names();
  const DetectOptions options = detect_options_from_query(request.query, class_names);
  const bool annotate = request.query.get_bool("annotate").value_or(false);
  const Upload upload = upload_body(request.request, {"image"});

  // The size from the header first: a few KB of PNG can claim gigapixels.
  const auto header = read_image_header(upload.bytes);
  if (!header) throw ApiError::bad_request("body: not a JPEG or PNG image", "body");
  const std::int64_t pixels = std::int64_t{header->width} * header->height;
  if (pixels > kMaxImagePixels) {
    throw ApiError(http::status::payload_too_large, "too_large",
                   "body: a " + std::to_string(header->width) + "x" + std::to_string(header->height) +
                       " image is larger than the limit of " + std::to_string(kMaxImagePixels / 1'000'000) +
                       " megapixels",
                   "body");
  }
  cv::Mat image;
  try {
    const cv::Mat bytes(1, static_cast<int>(upload.bytes.size()), CV_8UC1,
                        const_cast<char*>(upload.bytes.data()));
    image = cv::imdecode(bytes, cv::IMREAD_COLOR);
  } catch (const cv::Exception&) {
    image.release();
  }
  if (image.empty())
    throw ApiError::bad_request("body: not an image OpenCV can decode (JPEG, PNG, BMP, ...)", "body");

  pipeline::DetectRequest detect_request;
  detect_request.image = image;
  detect_request.slice = options.slice;
  detect_request.merge = options.merge;
  detect_request.confidence = options.confidence;
  detect_request.iou = options.iou;
  detect_request.classes = options.classes;
  pipeline::DetectResponse result;
  try {
    result = context.system.detect(detect_request);
  } catch (const ApiError&) {
    throw;
  } catch (const Error& e) {
    // Option combinations the planner rejects ("slice 4000x4000 larger than ...").
    throw ApiError::bad_request(std::string("slice: ") + e.what(), "slice");
  }

  if (!annotate) return Response::json(detect_json(result, image.cols, image.rows, class_names));
  detect::annotate(image, result.detections, class_names);
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 85});
  Response response = Response::bytes(std::string(jpeg.begin(), jpeg.end()), "image/jpeg");
  response.headers.emplace_back("X-Detections", std::to_string(result.detections.size()));
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

// --- jobs ---

const std::string& checked_job_id(RequestContext& request) {
  const std::string& id = request.path_param("id");
  const bool hex16 = id.size() == 16 && std::all_of(id.begin(), id.end(), [](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                     });
  if (!hex16) throw ApiError::bad_request("id: not a job id (16 lowercase hex characters)", "id");
  return id;
}

pipeline::JobStatus find_job(ApiContext& context, const std::string& id) {
  auto job = context.system.job(id);
  if (!job) throw ApiError::not_found("no job with id " + id);
  return *job;
}

// ".mp4" from "clip.MP4"; ".bin" when the name has no plain short extension.
std::string extension_of(const std::string& filename) {
  const auto dot = filename.rfind('.');
  if (dot == std::string::npos || filename.size() - dot > 6 || filename.size() - dot < 2) return ".bin";
  std::string extension = filename.substr(dot);
  for (std::size_t i = 1; i < extension.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(extension[i]);
    if (!std::isalnum(c)) return ".bin";
    extension[i] = static_cast<char>(std::tolower(c));
  }
  return extension;
}

std::string save_upload(ApiContext& context, const Upload& upload, const std::string& filename) {
  const fs::path folder = fs::path(context.system.store().dir()) / "jobs" / "uploads";
  std::error_code ec;
  fs::create_directories(folder, ec);
  const fs::path path = folder / (random_token().substr(0, 16) + extension_of(filename));
  std::ofstream out(path, std::ios::binary);
  out.write(upload.bytes.data(), static_cast<std::streamsize>(upload.bytes.size()));
  out.close();
  if (ec || !out) {
    fs::remove(path, ec);
    throw Error("could not write the upload to " + folder.string());
  }
  return path.string();
}

Response submit(ApiContext& context, RequestContext& request) {
  request.query.allow_only({"slice", "overlap", "min_object", "budget_ms", "full_frame", "conf", "iou",
                            "classes", "filename", "max_frames"});
  const std::vector<std::string>& class_names = context.system.class_names();
  DetectOptions options = detect_options_from_query(request.query, class_names);

  pipeline::JobRequest job;
  if (auto max_frames = request.query.get_int("max_frames", 1, 1'000'000'000)) job.max_frames = *max_frames;
  const auto content_type = request.request.find(http::field::content_type);
  const bool is_json = content_type != request.request.end() &&
                       view(content_type->value()).substr(0, 16) == "application/json";
  std::string field_at_fault = "body";
  if (is_json) {
    const json body = json_body(request.request);
    apply_detect_options_json(body, {"path", "max_frames"}, class_names, options);
    if (body.contains("max_frames")) {
      const json& value = body["max_frames"];
      if (!value.is_number_integer() || value.get<std::int64_t>() < 1)
        throw ApiError::bad_request("max_frames: expected a positive integer", "max_frames");
      job.max_frames = value.get<std::int64_t>();
    }
    if (!body.contains("path") || !body["path"].is_string())
      throw ApiError::bad_request("path: expected the absolute path of a video file on the server", "path");
    job.input_path = body["path"].get<std::string>();
    if (job.input_path.empty() || job.input_path.front() != '/')
      throw ApiError::bad_request("path: must be an absolute path", "path");
    std::error_code ec;
    if (!fs::is_regular_file(job.input_path, ec))
      throw ApiError::bad_request("path: no such file on the server: " + job.input_path, "path");
    field_at_fault = "path";
  } else {
    const Upload upload = upload_body(request.request, {"video", "file"});
    const std::string filename =
        upload.filename.empty() ? request.query.get("filename").value_or("") : upload.filename;
    job.input_path = save_upload(context, upload, filename);
    job.delete_input = true;
  }
  job.slice = options.slice;
  job.merge = options.merge;
  job.confidence = options.confidence;
  job.classes = options.classes;

  std::string id;
  try {
    id = context.system.submit_job(job);
  } catch (const Error& e) {
    if (job.delete_input) {
      std::error_code ec;
      fs::remove(job.input_path, ec);
    }
    throw ApiError::bad_request(field_at_fault + ": " + e.what(), field_at_fault);
  }
  json body = job_json(find_job(context, id));
  Response response = Response::json(body, http::status::accepted);
  response.headers.emplace_back("Location", "/api/v1/jobs/" + id);
  return response;
}

Response list_jobs(ApiContext& context, RequestContext&) {
  json jobs = json::array();
  for (const pipeline::JobStatus& job : context.system.jobs())
    jobs.push_back(job_json(job));
  return Response::json({{"jobs", std::move(jobs)}});
}

Response read_job(ApiContext& context, RequestContext& request) {
  return Response::json(job_json(find_job(context, checked_job_id(request))));
}

Response job_file(ApiContext& context, RequestContext& request, bool video) {
  const pipeline::JobStatus job = find_job(context, checked_job_id(request));
  const std::string& path = video ? job.video_path : job.result_json_path;
  std::error_code ec;
  if (job.state != pipeline::JobState::kDone || path.empty() || !fs::is_regular_file(path, ec)) {
    throw ApiError::not_found("job " + job.id + " has no " + (video ? "video" : "result") + " (state " +
                              pipeline::to_string(job.state) + ")");
  }
  return Response::file(path, video ? "video/mp4" : "application/x-ndjson");
}

Response job_result(ApiContext& context, RequestContext& request) {
  return job_file(context, request, false);
}
Response job_video(ApiContext& context, RequestContext& request) { return job_file(context, request, true); }

// Queued or running: cancel (202, the job as it is now). Ended: remove it and its files (204).
Response cancel_job(ApiContext& context, RequestContext& request) {
  const std::string& id = checked_job_id(request);
  const pipeline::JobStatus job = find_job(context, id);
  const bool ended = job.state != pipeline::JobState::kQueued && job.state != pipeline::JobState::kRunning;
  if (!ended && context.system.cancel_job(id)) {
    auto now = context.system.job(id);
    return Response::json(job_json(now ? *now : job), http::status::accepted);
  }
  if (!context.system.remove_job(id)) throw ApiError::not_found("no job with id " + id);
  return Response::no_content();
}

} // namespace

void add_detect_routes(Router& router, ApiContext& context) {
  router.add(http::verb::post, "/api/v1/detect", bind_route(context, detect));
  router.add(http::verb::get, "/api/v1/jobs", bind_route(context, list_jobs));
  router.add(http::verb::post, "/api/v1/jobs", bind_route(context, submit));
  router.add(http::verb::get, "/api/v1/jobs/{id}", bind_route(context, read_job));
  router.add(http::verb::delete_, "/api/v1/jobs/{id}", bind_route(context, cancel_job));
  router.add(http::verb::get, "/api/v1/jobs/{id}/result.json", bind_route(context, job_result));
  router.add(http::verb::get, "/api/v1/jobs/{id}/video.mp4", bind_route(context, job_video));
}

} // namespace tilescope::server
