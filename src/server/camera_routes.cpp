// /api/v1/cameras: list, create, read, update, delete, connection test, status, the
// latest frame as JPEG and the live MJPEG stream. Responses show cameras through
// camera_json (password "***"); a PUT that sends "***" back keeps the stored password.
#include "api.h"
#include "api_json.h"
#include "http/api_error.h"
#include "request_body.h"

namespace tilescope::server {
namespace {

using nlohmann::json;

pipeline::CameraInfo find_camera(ApiContext& context, std::int64_t id) {
  auto camera = context.system.camera(id);
  if (!camera) throw ApiError::not_found("no camera with id " + std::to_string(id));
  return *camera;
}

config::CameraConfig camera_from_body(const json& body, const config::CameraConfig* previous) {
  std::vector<config::ConfigIssue> issues;
  config::CameraConfig camera = config::camera_from_json(body, issues, previous);
  if (!issues.empty()) {
    std::vector<ErrorIssue> errors;
    for (const config::ConfigIssue& issue : issues)
      errors.push_back({issue.path, issue.message});
    throw ApiError::invalid(std::move(errors));
  }
  return camera;
}

Response list(ApiContext& context, RequestContext&) {
  json cameras = json::array();
  for (const pipeline::CameraInfo& camera : context.system.cameras())
    cameras.push_back(camera_json(camera));
  return Response::json({{"cameras", std::move(cameras)}});
}

Response create(ApiContext& context, RequestContext& request) {
  const config::CameraConfig camera = camera_from_body(json_body(request.request), nullptr);
  const pipeline::CameraInfo added = context.system.add_camera(camera);
  Response response = Response::json(camera_json(added), http::status::created);
  response.headers.emplace_back("Location", "/api/v1/cameras/" + std::to_string(added.id));
  return response;
}

Response read(ApiContext& context, RequestContext& request) {
  return Response::json(camera_json(find_camera(context, request.path_id("id"))));
}

Response update(ApiContext& context, RequestContext& request) {
  const std::int64_t id = request.path_id("id");
  const pipeline::CameraInfo existing = find_camera(context, id);
  const config::CameraConfig camera = camera_from_body(json_body(request.request), &existing.config);
  auto updated = context.system.update_camera(id, camera);
  if (!updated) throw ApiError::not_found("no camera with id " + std::to_string(id));
  return Response::json(camera_json(*updated));
}

Response remove(ApiContext& context, RequestContext& request) {
  const std::int64_t id = request.path_id("id");
  if (!context.system.remove_camera(id)) throw ApiError::not_found("no camera with id " + std::to_string(id));
  return Response::no_content();
}

// A full CameraConfig, or just {"url": ...}: the name is irrelevant to a test.
Response test(ApiContext& context, RequestContext& request) {
  json body = json_body(request.request);
  if (!body.contains("name")) body["name"] = "connection-test";
  const config::CameraConfig camera = camera_from_body(body, nullptr);
  return Response::json(probe_json(context.system.test_camera(camera)));
}

Response status(ApiContext& context, RequestContext& request) {
  return Response::json(status_json(find_camera(context, request.path_id("id"))));
}

Response snapshot(ApiContext& context, RequestContext& request) {
  const std::int64_t id = request.path_id("id");
  find_camera(context, id);
  const bool annotated = request.query.get_bool("annotated").value_or(false);
  std::int64_t seq = 0;
  auto jpeg = context.system.wait_jpeg(id, 0, annotated, std::chrono::milliseconds(0), seq);
  if (!jpeg) throw ApiError::not_found("camera " + std::to_string(id) + " has no frame yet");
  Response response = Response::bytes(std::string(jpeg->begin(), jpeg->end()), "image/jpeg");
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Frame-Seq", std::to_string(seq));
  return response;
}

Response mjpeg(ApiContext& context, RequestContext& request) {
  const std::int64_t id = request.path_id("id");
  find_camera(context, id);
  Response response;
  response.mjpeg_camera_id = id;
  response.mjpeg_annotated = request.query.get_bool("annotated").value_or(true);
  return response;
}

} // namespace

void add_camera_routes(Router& router, ApiContext& context) {
  auto bind = [&context](auto handler) { return bind_route(context, handler); };
  router.add(http::verb::get, "/api/v1/cameras", bind(list));
  router.add(http::verb::post, "/api/v1/cameras", bind(create));
  router.add(http::verb::post, "/api/v1/cameras/test", bind(test));
  router.add(http::verb::get, "/api/v1/cameras/{id}", bind(read));
  router.add(http::verb::put, "/api/v1/cameras/{id}", bind(update));
  router.add(http::verb::delete_, "/api/v1/cameras/{id}", bind(remove));
  router.add(http::verb::get, "/api/v1/cameras/{id}/status", bind(status));
  router.add(http::verb::get, "/api/v1/cameras/{id}/snapshot.jpg", bind(snapshot));
  router.add(http::verb::get, "/api/v1/cameras/{id}/mjpeg", bind(mjpeg));
}

} // namespace tilescope::server
