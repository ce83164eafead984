// The JSON shapes of the API (openapi.json `components/schemas`), built from the
// system's types. One place, so REST, WebSocket and the OpenAPI document agree.
#pragma once

#include "tilescope/pipeline/system.h"
#include "tilescope/store/store.h"
#include "tilescope/video/live_source.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tilescope::server {

// Status: source state + processing counters. "disabled" when the camera is off.
nlohmann::json status_json(const pipeline::CameraInfo& camera);
// Camera: config::camera_to_json(config, redact=true) + "id" + "status". Never a password.
nlohmann::json camera_json(const pipeline::CameraInfo& camera);
nlohmann::json event_json(const store::EventRecord& event);
nlohmann::json job_json(const pipeline::JobStatus& job);
nlohmann::json probe_json(const video::ProbeResult& probe);
nlohmann::json detect_json(const pipeline::DetectResponse& response, int width, int height,
                           const std::vector<std::string>& class_names);

// WebSocket messages, serialised once and shared by every session.
std::string frame_message(const pipeline::FrameResult& frame);
std::string event_message(const pipeline::EventNotice& notice);
std::string status_message(const std::vector<pipeline::CameraInfo>& cameras);

std::string dump(const nlohmann::json& value); // invalid UTF-8 replaced, never throws

} // namespace tilescope::server
