#include "http_session.h"

#include "api.h"
#include "http/api_error.h"
#include "http/file_part.h"
#include "http/login_limiter.h"
#include "http/request_target.h"
#include "mjpeg_stream.h"
#include "websocket_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

namespace tilescope::server {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using namespace std::chrono_literals;

// Idle keep-alive connections and slow headers; a whole upload; a whole response.
constexpr auto kHeaderTimeout = 60s;
constexpr auto kBodyTimeout = 600s;
constexpr auto kWriteTimeout = 600s;
constexpr auto kDrainTimeout = 3s;
constexpr std::uint32_t kHeaderLimit = 16 * 1024;

std::string path_of(beast::string_view target) {
  const std::string_view text = view(target);
  return std::string(text.substr(0, std::min(text.find('?'), std::size_t{300})));
}

bool is_parse_error(beast::error_code ec) {
  return ec.category() == beast::http::make_error_code(http::error::bad_target).category();
}

} // namespace

HttpSession::HttpSession(net::ip::tcp::socket socket, ServerContext& context)
    : stream_(std::move(socket)), executor_(stream_.get_executor()), context_(context) {
  context_.metrics.connections.fetch_add(1);
  beast::error_code ec;
  const auto peer = stream_.socket().remote_endpoint(ec);
  if (!ec) client_ = client_key(peer.address());
}

HttpSession::~HttpSession() { context_.metrics.connections.fetch_sub(1); }

void HttpSession::run() {
  net::dispatch(executor_, [self = shared_from_this()] { self->do_read_header(); });
}

void HttpSession::close() {
  net::post(executor_, [self = shared_from_this()] {
    if (self->handed_off_) return;
    beast::error_code ec;
    self->stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
    self->stream_.close();
  });
}

void HttpSession::abort() {
  if (handed_off_) return;
  beast::error_code ec;
  stream_.socket().close(ec);
}

void HttpSession::do_read_header() {
  header_parser_.emplace();
  header_parser_->header_limit(kHeaderLimit);
  // Checked against Content-Length as soon as the header is parsed (413 before any body).
  header_parser_->body_limit(context_.body_limit);
  stream_.expires_after(kHeaderTimeout);
  http::async_read_header(
      stream_, buffer_, *header_parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read_header(ec); });
}

std::optional<Response> HttpSession::read_error_response(beast::error_code ec) const {
  if (ec == http::error::body_limit) {
    return error_response(ApiError::too_large("body: larger than the upload limit (server.max_upload_mb, " +
                                              std::to_string(context_.body_limit / (1024 * 1024)) + " MB)"));
  }
  if (ec == http::error::header_limit) {
    return error_response(ApiError::bad_request("request headers larger than 16 KB", "headers"));
  }
  if (is_parse_error(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return error_response(ApiError::bad_request("malformed HTTP request (" + ec.message() + ")", "request"));
  }
  return std::nullopt;
}

void HttpSession::on_read_header(beast::error_code ec) {
  started_ = std::chrono::steady_clock::now();
  if (ec) {
    if (auto response = read_error_response(ec)) return send(std::move(*response), true);
    return stream_.close(); // the peer left, or the connection idled out
  }
  auto& header = header_parser_->get();
  request_ = Request(header.base()); // the headers, for auth checks and the log

  if (websocket::is_upgrade(header)) {
    const auto target = parse_target(view(header.target()));
    if (target && target->raw_path == kWebSocketPath) {
      if (!context_.dispatcher.authorized(request_)) {
        return send(error_response(ApiError::unauthorized()), true);
      }
      handed_off_ = true;
      log(101);
      context_.metrics.count_request(101);
      auto session = std::make_shared<WebSocketSession>(std::move(stream_), context_);
      context_.sessions.add(session);
      session->start(header_parser_->release());
      return;
    }
  }

  const bool has_body = header_parser_->chunked() || header_parser_->content_length().value_or(0) > 0;
  if (header_parser_->content_length().value_or(0) > context_.body_limit) {
    return send(*read_error_response(http::error::body_limit), true);
  }
  if (has_body && !context_.dispatcher.authorized(request_)) {
    return send(error_response(ApiError::unauthorized()), true);
  }
  // curl and others wait for "100 Continue" before sending a large body.
  const auto expect = header.find(http::field::expect);
  if (expect != header.end() && beast::iequals(expect->value(), "100-continue")) {
    auto interim =
        std::make_shared<http::response<http::empty_body>>(http::status::continue_, header.version());
    stream_.expires_after(kHeaderTimeout);
    http::async_write(stream_, *interim,
                      [self = shared_from_this(), interim](beast::error_code ec, std::size_t) {
                        if (ec) return self->stream_.close();
                        self->do_read_body();
                      });
    return;
  }
  do_read_body();
}

void HttpSession::do_read_body() {
  body_parser_.emplace(std::move(*header_parser_));
  body_parser_->body_limit(context_.body_limit);
  stream_.expires_after(kBodyTimeout);
  http::async_read(
      stream_, buffer_, *body_parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read_body(ec); });
}

void HttpSession::on_read_body(beast::error_code ec) {
  if (ec) {
    if (auto response = read_error_response(ec)) return send(std::move(*response), true);
    return stream_.close();
  }
  request_ = body_parser_->release();
  body_parser_.reset();
  handle();
}

void HttpSession::handle() {
  stream_.expires_never(); // the route may take a while (detection, a camera probe)
  net::post(context_.workers, [self = shared_from_this()] {
    Response response = self->context_.dispatcher.handle(self->request_, nullptr, self->client_);
    net::post(self->executor_,
              [self, response = std::move(response)]() mutable { self->send(std::move(response), false); });
  });
}

void HttpSession::log(unsigned status) const {
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
  // The path only: queries may hold ?token=.
  if (status >= 500) {
    spdlog::warn("http: {} {} -> {} ({:.1f} ms)", std::string(request_.method_string()),
                 path_of(request_.target()), status, ms);
  } else {
    spdlog::debug("http: {} {} -> {} ({:.1f} ms)", std::string(request_.method_string()),
                  path_of(request_.target()), status, ms);
  }
}

void HttpSession::send(Response response, bool close_after) {
  if (response.mjpeg_camera_id >= 0 && request_.method() == http::verb::head) {
    response.content_type = "multipart/x-mixed-replace; boundary=frame"; // the head of the stream, no stream
  } else if (response.mjpeg_camera_id >= 0) {
    handed_off_ = true;
    log(200);
    context_.metrics.count_request(200);
    auto stream = std::make_shared<MjpegStream>(std::move(stream_), context_, response.mjpeg_camera_id,
                                                response.mjpeg_annotated, request_.version());
    context_.sessions.add(stream);
    stream->start();
    return;
  }

  const unsigned version = request_.version() ? request_.version() : 11;
  const bool keep_alive = !close_after && request_.keep_alive();
  const bool head = request_.method() == http::verb::head;
  auto decorate = [&](auto& message) {
    message.set(http::field::server, "tilescope");
    if (!response.content_type.empty()) message.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers)
      message.insert(name, value);
    message.keep_alive(keep_alive);
  };

  if (!response.file_path.empty()) {
    using FileBody = http::basic_file_body<FilePart>;
    FileBody::value_type file;
    FilePart part;
    beast::error_code ec;
    part.open_part(response.file_path.c_str(), response.file_range, ec);
    if (!ec) file.reset(std::move(part), ec);
    if (!ec) {
      log(static_cast<unsigned>(response.status));
      context_.metrics.count_request(static_cast<unsigned>(response.status));
      if (head) {
        auto message = std::make_shared<http::response<http::empty_body>>(response.status, version);
        decorate(*message);
        message->content_length(file.size());
        return write(std::move(message), !keep_alive);
      }
      auto message = std::make_shared<http::response<FileBody>>(std::piecewise_construct,
                                                                std::make_tuple(std::move(file)),
                                                                std::make_tuple(response.status, version));
      decorate(*message);
      message->prepare_payload();
      return write(std::move(message), !keep_alive);
    }
    // Gone (retention, a delete) or shorter than the range decided (rewritten) since
    // the route looked at it.
    response = error_response(ApiError::not_found("the file is gone or changed"));
  }

  log(static_cast<unsigned>(response.status));
  context_.metrics.count_request(static_cast<unsigned>(response.status));
  if (head) {
    auto message = std::make_shared<http::response<http::empty_body>>(response.status, version);
    decorate(*message);
    message->content_length(response.body.size());
    return write(std::move(message), !keep_alive);
  }
  auto message =
      std::make_shared<http::response<http::string_body>>(response.status, version, std::move(response.body));
  decorate(*message);
  message->prepare_payload();
  write(std::move(message), !keep_alive);
}

template <class Message> void HttpSession::write(std::shared_ptr<Message> message, bool close_after) {
  response_ = message;
  stream_.expires_after(kWriteTimeout);
  http::async_write(stream_, *message,
                    [self = shared_from_this(), close_after](beast::error_code ec, std::size_t) {
                      self->on_write(close_after, ec);
                    });
}

void HttpSession::on_write(bool close_after, beast::error_code ec) {
  response_.reset();
  if (ec) return stream_.close();
  if (close_after) return drain_and_close();
  request_ = {};
  do_read_header();
}

// Closing a socket with unread input makes the kernel send a reset, which can
// destroy the response the client has not read yet (a 413 before a large body).
// Half-close, then read and discard for a moment.
void HttpSession::drain_and_close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  if (ec) return stream_.close();
  stream_.expires_after(kDrainTimeout); // an absolute deadline for the whole drain
  do_drain();
}

void HttpSession::do_drain() {
  stream_.async_read_some(net::buffer(drain_buffer_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (ec)
                              return self->stream_.close(); // EOF: the client has read the answer and left
                            self->do_drain();
                          });
}

} // namespace tilescope::server
