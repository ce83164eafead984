#include "api_fixture.h"

#include <filesystem>
#include <spdlog/spdlog.h>
#include <thread>
#include <unistd.h>

namespace tilescope::server::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::unique_ptr<pipeline::System> ApiTest::system_;
std::unique_ptr<HttpServer> ApiTest::server_;
std::string ApiTest::dir_;
std::string ApiTest::skip_reason_;
std::int64_t ApiTest::camera_id_ = 0;

config::ServerConfig ApiTest::server_config() {
  config::ServerConfig server;
  server.bind = "127.0.0.1";
  server.port = 0;
  server.max_upload_mb = 16; // vtest.avi (8 MB) fits; the 413 test sends more
  server.threads = 2;
  return server;
}

void ApiTest::SetUpTestSuite() {
  if (!fs::exists(kModel) || !fs::exists(kVideo)) {
    skip_reason_ = "needs the default model and the sample video (scripts/setup)";
    return;
  }
  spdlog::set_level(spdlog::level::warn);
  dir_ = (fs::temp_directory_path() / ("tilescope_api_" + std::to_string(::getpid()))).string();
  fs::remove_all(dir_);

  config::Config config;
  config.model.path = kModel;
  config.storage.path = dir_;
  config.server = server_config();
  config::CameraConfig camera;
  camera.name = "cam1";
  camera.url = kVideo;
  camera.fps_limit = 5;
  camera.loop = true;
  // Whole frames only: the cheapest setting, so the suite runs on a loaded 2-core box.
  config::TilingSettings tiling;
  tiling.mode = "off";
  camera.tiling = tiling;
  camera.events.classes = {"person"};
  camera.events.min_score = 0.3;
  camera.events.confirm_n = 2;
  camera.events.confirm_m = 3;
  config.cameras = {camera};

  system_ = pipeline::System::start(config);
  server_ = HttpServer::start(*system_, config.server);
  for (const pipeline::CameraInfo& info : system_->cameras()) {
    if (info.config.name == "cam1") camera_id_ = info.id;
  }
}

void ApiTest::TearDownTestSuite() {
  if (server_) server_->stop();
  server_.reset();
  if (system_) system_->stop();
  system_.reset();
  if (!dir_.empty()) fs::remove_all(dir_);
}

void ApiTest::SetUp() {
  if (!system_) GTEST_SKIP() << skip_reason_;
  ASSERT_GT(camera_id_, 0);
}

bool ApiTest::wait_until(const std::function<bool()>& done, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

std::string ApiTest::camera_jpeg() {
  HttpResult result;
  const std::string target = "/api/v1/cameras/" + std::to_string(camera_id_) + "/snapshot.jpg";
  wait_until(
      [&] {
        result = client_.get(target);
        return result.status == 200;
      },
      120s);
  EXPECT_EQ(result.status, 200) << "no frame from cam1: " << result.body;
  return result.body;
}

std::int64_t ApiTest::wait_for_event(std::chrono::seconds timeout) {
  std::int64_t id = 0;
  wait_until(
      [&] {
        HttpResult r = client_.get("/api/v1/events?camera=" + std::to_string(camera_id_) + "&limit=50");
        if (r.status != 200) return false;
        const nlohmann::json page = r.json();
        for (const auto& event : page["events"]) {
          if (event["has_snapshot"].get<bool>()) {
            id = event["id"].get<std::int64_t>();
            return true;
          }
        }
        return false;
      },
      timeout);
  return id;
}

} // namespace tilescope::server::testing
