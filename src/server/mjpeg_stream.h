// GET /api/v1/cameras/{id}/mjpeg: multipart/x-mixed-replace, one JPEG part per new
// processed frame, until the client leaves or the server stops.
//
// The JPEG comes from System::wait_jpeg, encoded once per frame and shared by every
// viewer (no per-viewer encoding). wait_jpeg blocks, so it is never called on an I/O
// thread: a steady timer polls it with a zero timeout on the `live` pool; a
// part is written only when a newer frame exists. A read on the socket notices
// the client leaving while no frame comes (a camera that is down).
#pragma once

#include "server_context.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <memory>
#include <string>
#include <vector>

namespace tilescope::server {

class MjpegStream : public Closable, public std::enable_shared_from_this<MjpegStream> {
public:
  MjpegStream(boost::beast::tcp_stream stream, ServerContext& context, std::int64_t camera_id, bool annotated,
              unsigned http_version);
  ~MjpegStream() override;

  void start();
  void close() override;
  void abort() override;

private:
  void poll();
  void on_polled(std::shared_ptr<const std::vector<unsigned char>> jpeg, std::int64_t seq);
  void wait_then_poll(std::chrono::milliseconds delay);
  void watch_peer();
  void stop();

  boost::beast::tcp_stream stream_;
  boost::asio::any_io_executor executor_;
  boost::asio::steady_timer timer_;
  ServerContext& context_;
  const std::int64_t camera_id_;
  const bool annotated_;
  const unsigned http_version_;
  std::string head_;                                       // the HTTP header, then each part's header
  std::shared_ptr<const std::vector<unsigned char>> jpeg_; // the part being written
  std::int64_t seq_ = 0;                                   // the last frame sent
  int idle_polls_ = 0; // since the last frame: checks the camera still exists
  bool stopped_ = false;
  char peer_buffer_[512];
};

} // namespace tilescope::server
