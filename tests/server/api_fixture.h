// The API suite's fixture: a real pipeline::System (default model, the sample video as
// camera "cam1", storage in a temporary folder) behind a real HttpServer on
// 127.0.0.1, port 0. ctest runs each test in its own process, so each test gets a
// fresh system. Skipped when scripts/setup has not fetched the model or the video.
#pragma once

#include "api_test_client.h"
#include "tilescope/config/config.h"
#include "tilescope/pipeline/system.h"
#include "tilescope/server/http_server.h"

#include <chrono>
#include <functional>
#include <gtest/gtest.h>
#include <memory>
#include <string>

namespace tilescope::server::testing {

inline const std::string kModel = std::string(TILESCOPE_SOURCE_DIR) + "/.cache/models/nanodet/nanodet.json";
inline const std::string kVideo = std::string(TILESCOPE_SOURCE_DIR) + "/.cache/media/vtest.avi";
// A password that must never come back in any response.
inline const std::string kSecret = "hunter2-s3cret";

class ApiTest : public ::testing::Test {
public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

protected:
  void SetUp() override;

  static pipeline::System& system() { return *system_; }
  static int port() { return server_->port(); }
  static std::int64_t camera_id() { return camera_id_; }
  // The config the server runs with (tests start a second server with other settings).
  static config::ServerConfig server_config();
  static std::string storage_dir() { return dir_; }

  // Polls `done` every 100 ms until it holds or `timeout` passes; returns whether it held.
  static bool wait_until(const std::function<bool()>& done, std::chrono::seconds timeout);
  // A processed frame of cam1 as JPEG (waits for the first one).
  std::string camera_jpeg();
  // Waits until the store has an event of cam1 with a snapshot; returns its id (0: none).
  std::int64_t wait_for_event(std::chrono::seconds timeout);

  TestClient client_{server_ ? server_->port() : 0};

private:
  static std::unique_ptr<pipeline::System> system_;
  static std::unique_ptr<HttpServer> server_;
  static std::string dir_;
  static std::string skip_reason_;
  static std::int64_t camera_id_;
};

} // namespace tilescope::server::testing
