#include "api_json.h"

#include "tilescope/config/config.h"

#include <cmath>

namespace tilescope::server {
namespace {

using nlohmann::json;

// Boxes to 0.1 px and scores to 0.001: what a viewer can see, and a third of the
// digits of a float's shortest round-trip form in every WebSocket message.
double round_to(double value, double step) { return std::round(value / step) * step; }

json box_json(const detect::BoxXYXY& box) {
  return json::array(
      {round_to(box.x1, 0.1), round_to(box.y1, 0.1), round_to(box.x2, 0.1), round_to(box.y2, 0.1)});
}

json tiles_json(const std::vector<tiling::TileRect>& tiles) {
  json out = json::array();
  for (const tiling::TileRect& tile : tiles)
    out.push_back({tile.x1, tile.y1, tile.x2, tile.y2});
  return out;
}

json nullable_ms(std::int64_t ms) { return ms > 0 ? json(ms) : json(nullptr); }

} // namespace

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

json status_json(const pipeline::CameraInfo& camera) {
  const video::SourceStatus& source = camera.source;
  std::string state = video::to_string(source.state);
  if (!camera.config.enabled) {
    state = "disabled";
  } else if (!camera.running) {
    state = "stopped";
  }
  return {
      {"state", state},
      {"last_error", source.last_error},
      {"reconnects", source.reconnects},
      {"failures", source.failures},
      {"retry_in_s", round_to(source.retry_in_s, 0.01)},
      {"input_fps", round_to(source.input_fps, 0.01)},
      {"processed_fps", round_to(camera.processed_fps, 0.01)},
      {"frames_decoded", source.frames_decoded},
      {"frames_dropped", source.frames_dropped},
      {"frames_skipped", camera.frames_skipped},
      {"frames_processed", camera.frames_processed},
      {"tiles_per_frame", round_to(camera.tiles_per_frame, 0.01)},
      {"latency_p50_ms", round_to(camera.latency_p50_ms, 0.01)},
      {"latency_p95_ms", round_to(camera.latency_p95_ms, 0.01)},
      {"width", source.width},
      {"height", source.height},
      {"codec", source.codec},
      {"events_opened", camera.events_opened},
  };
}

json camera_json(const pipeline::CameraInfo& camera) {
  json out = config::camera_to_json(camera.config, /*redact_password=*/true);
  out["id"] = camera.id;
  out["status"] = status_json(camera);
  return out;
}

json event_json(const store::EventRecord& event) {
  const bool has_snapshot = !event.snapshot.empty();
  return {
      {"id", event.id},
      {"camera_id", event.camera_id},
      {"camera", event.camera_name},
      {"label", event.label},
      {"class_id", event.class_id},
      {"score", round_to(event.score, 0.001)},
      {"start_ms", event.start_ms},
      {"end_ms", event.end_ms ? json(*event.end_ms) : json(nullptr)},
      {"updated_ms", event.updated_ms},
      {"box", json::array({round_to(event.box.x1, 0.1), round_to(event.box.y1, 0.1),
                           round_to(event.box.x2, 0.1), round_to(event.box.y2, 0.1)})},
      {"frame", json::array({event.frame_width, event.frame_height})},
      {"zones", event.zones},
      {"track_id", event.track_id},
      {"has_snapshot", has_snapshot},
      {"snapshot_url",
       has_snapshot ? json("/api/v1/events/" + std::to_string(event.id) + "/snapshot.jpg") : json(nullptr)},
  };
}

json job_json(const pipeline::JobStatus& job) {
  const bool done = job.state == pipeline::JobState::kDone;
  const std::string base = "/api/v1/jobs/" + job.id;
  return {
      {"id", job.id},
      {"state", pipeline::to_string(job.state)},
      {"input", job.input_name},
      {"frames_done", job.frames_done},
      {"frames_total", job.frames_total >= 0 ? json(job.frames_total) : json(nullptr)},
      {"progress", round_to(job.progress, 0.001)},
      {"error", job.error},
      {"created_ms", job.created_ms},
      {"finished_ms", nullable_ms(job.finished_ms)},
      {"status_url", base},
      {"result_url", done && !job.result_json_path.empty() ? json(base + "/result.json") : json(nullptr)},
      {"video_url", done && !job.video_path.empty() ? json(base + "/video.mp4") : json(nullptr)},
  };
}

json probe_json(const video::ProbeResult& probe) {
  return {
      {"ok", probe.ok},
      {"error", probe.error},
      {"width", probe.width},
      {"height", probe.height},
      {"fps", round_to(probe.fps, 0.01)},
      {"codec", probe.codec},
      {"elapsed_ms", round_to(probe.elapsed_ms, 0.1)},
  };
}

json detect_json(const pipeline::DetectResponse& response, int width, int height,
                 const std::vector<std::string>& class_names) {
  json detections = json::array();
  for (std::size_t i = 0; i < response.detections.size(); ++i) {
    const detect::Detection& d = response.detections[i];
    std::string label;
    if (i < response.labels.size()) {
      label = response.labels[i];
    } else if (d.class_id >= 0 && static_cast<std::size_t>(d.class_id) < class_names.size()) {
      label = class_names[d.class_id];
    }
    detections.push_back({{"box", box_json(d.box)},
                          {"score", round_to(d.score, 0.001)},
                          {"class_id", d.class_id},
                          {"label", label}});
  }
  return {
      {"width", width},
      {"height", height},
      {"detections", std::move(detections)},
      {"tiles", tiles_json(response.plan.tiles)},
      {"full_frame", response.plan.full_frame || response.plan.tiles.empty()},
      {"elapsed_ms", round_to(response.elapsed_ms, 0.01)},
  };
}

std::string frame_message(const pipeline::FrameResult& frame) {
  json objects = json::array();
  for (const pipeline::TrackedObject& object : frame.objects) {
    objects.push_back({{"id", object.track_id},
                       {"label", object.label},
                       {"class_id", object.class_id},
                       {"score", round_to(object.score, 0.001)},
                       {"box", box_json(object.box)}});
  }
  return dump({
      {"type", "frame"},
      {"camera_id", frame.camera_id},
      {"camera", frame.camera_name},
      {"seq", frame.seq},
      {"ts_ms", frame.arrived_ms},
      {"done_ms", frame.done_ms},
      {"latency_ms", round_to(frame.latency_ms, 0.01)},
      {"width", frame.width},
      {"height", frame.height},
      {"objects", std::move(objects)},
      {"tiles", tiles_json(frame.tiles)},
      {"full_frame", frame.full_frame},
      {"sweep", frame.sweep},
  });
}

std::string event_message(const pipeline::EventNotice& notice) {
  return dump(
      {{"type", "event"}, {"kind", pipeline::to_string(notice.kind)}, {"event", event_json(notice.event)}});
}

std::string status_message(const std::vector<pipeline::CameraInfo>& cameras) {
  json list = json::array();
  for (const pipeline::CameraInfo& camera : cameras) {
    list.push_back({{"id", camera.id}, {"camera", camera.config.name}, {"status", status_json(camera)}});
  }
  return dump({{"type", "status"}, {"cameras", std::move(list)}});
}

} // namespace tilescope::server
