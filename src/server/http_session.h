// One HTTP connection: read a request, run its route on the worker pool, write the
// response, repeat while keep-alive. Hands the connection over to a WebSocketSession
// (upgrade on /api/v1/ws) or an MjpegStream (the mjpeg route).
//
// Checks made on the headers, before any body is read: Content-Length above the
// upload limit -> 413; a body for a protected route without valid auth -> 401; both
// answered at once and the connection closed after the response (the unread body is
// drained for a moment so the client sees the answer instead of a reset).
#pragma once

#include "http/http_message.h"
#include "server_context.h"

#include <boost/beast/core.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace tilescope::server {

class HttpSession : public Closable, public std::enable_shared_from_this<HttpSession> {
public:
  HttpSession(boost::asio::ip::tcp::socket socket, ServerContext& context);
  ~HttpSession() override;

  void run();
  void close() override;
  void abort() override;

private:
  void do_read_header();
  void on_read_header(boost::beast::error_code ec);
  void do_read_body();
  void on_read_body(boost::beast::error_code ec);
  // Parse errors and limits found while reading: the answer, or none (just close).
  std::optional<Response> read_error_response(boost::beast::error_code ec) const;
  void handle();
  void send(Response response, bool close_after);
  template <class Message> void write(std::shared_ptr<Message> message, bool close_after);
  void on_write(bool close_after, boost::beast::error_code ec);
  void drain_and_close();
  void do_drain();
  void log(unsigned status) const;

  boost::beast::tcp_stream stream_;
  boost::asio::any_io_executor executor_; // stream_'s strand, kept after stream_ is handed over
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> body_parser_;
  Request request_;
  std::shared_ptr<void> response_; // the message being written
  ServerContext& context_;
  std::chrono::steady_clock::time_point started_;
  std::string client_; // the peer's address key (login_limiter.h), for the login limit
  bool handed_off_ = false;
  char drain_buffer_[4096];
};

} // namespace tilescope::server
