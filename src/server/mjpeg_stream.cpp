#include "mjpeg_stream.h"

#include "tilescope/pipeline/system.h"

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

namespace tilescope::server {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
using namespace std::chrono_literals;

// Polls cost a mutex and a compare in the system; 25 ms keeps the added latency
// below a frame at 40 fps. After a frame, look again soon (the next may be queued).
constexpr auto kPollInterval = 25ms;
constexpr auto kAfterFrame = 5ms;
constexpr int kCameraCheckPolls = 80; // ~2 s without frames: is the camera still there?
constexpr auto kWriteTimeout = 30s;   // a viewer that stops reading is dropped

} // namespace

MjpegStream::MjpegStream(beast::tcp_stream stream, ServerContext& context, std::int64_t camera_id,
                         bool annotated, unsigned http_version)
    : stream_(std::move(stream)), executor_(stream_.get_executor()), timer_(executor_), context_(context),
      camera_id_(camera_id), annotated_(annotated), http_version_(http_version) {
  context_.metrics.mjpeg_streams.fetch_add(1);
}

MjpegStream::~MjpegStream() { context_.metrics.mjpeg_streams.fetch_sub(1); }

void MjpegStream::start() {
  head_ = std::string(http_version_ == 10 ? "HTTP/1.0" : "HTTP/1.1") +
          " 200 OK\r\n"
          "Server: tilescope\r\n"
          "Content-Type: multipart/x-mixed-replace; boundary=frame\r\n"
          "Cache-Control: no-cache, no-store, must-revalidate\r\n"
          "Pragma: no-cache\r\n"
          "Connection: close\r\n"
          "\r\n";
  stream_.expires_after(kWriteTimeout);
  net::async_write(stream_, net::buffer(head_),
                   [self = shared_from_this()](beast::error_code ec, std::size_t) {
                     if (ec) return self->stop();
                     self->watch_peer();
                     self->poll();
                   });
}

void MjpegStream::abort() {
  beast::error_code ec;
  stream_.socket().close(ec);
}

void MjpegStream::close() {
  net::post(executor_, [self = shared_from_this()] { self->stop(); });
}

void MjpegStream::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  stream_.close();
}

// A client sends nothing after its request; any read completion means it left.
void MjpegStream::watch_peer() {
  stream_.socket().async_read_some(net::buffer(peer_buffer_),
                                   [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                     if (ec) return net::post(self->executor_, [self] { self->stop(); });
                                     net::post(self->executor_, [self] { self->watch_peer(); });
                                   });
}

void MjpegStream::poll() {
  if (stopped_) return;
  net::post(context_.live, [self = shared_from_this()] {
    std::int64_t seq = 0;
    auto jpeg = self->context_.system.wait_jpeg(self->camera_id_, self->seq_, self->annotated_, 0ms, seq);
    bool camera_gone = false;
    if (!jpeg && ++self->idle_polls_ >= kCameraCheckPolls) {
      self->idle_polls_ = 0;
      camera_gone = !self->context_.system.camera(self->camera_id_);
    }
    net::post(self->executor_, [self, jpeg = std::move(jpeg), seq, camera_gone]() mutable {
      if (camera_gone) return self->stop();
      self->on_polled(std::move(jpeg), seq);
    });
  });
}

void MjpegStream::on_polled(std::shared_ptr<const std::vector<unsigned char>> jpeg, std::int64_t seq) {
  if (stopped_) return;
  if (!jpeg || seq <= seq_) return wait_then_poll(kPollInterval);
  idle_polls_ = 0;
  seq_ = seq;
  jpeg_ = std::move(jpeg);
  head_ =
      "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: " + std::to_string(jpeg_->size()) + "\r\n\r\n";
  static constexpr char kPartEnd[] = "\r\n";
  const std::array<net::const_buffer, 3> buffers = {net::buffer(head_), net::buffer(*jpeg_),
                                                    net::buffer(kPartEnd, 2)};
  stream_.expires_after(kWriteTimeout);
  net::async_write(stream_, buffers, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->jpeg_.reset();
    if (ec) return self->stop();
    self->context_.metrics.mjpeg_frames_sent.fetch_add(1, std::memory_order_relaxed);
    self->wait_then_poll(kAfterFrame);
  });
}

void MjpegStream::wait_then_poll(std::chrono::milliseconds delay) {
  if (stopped_) return;
  timer_.expires_after(delay);
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec) return;
    self->poll();
  });
}

} // namespace tilescope::server
