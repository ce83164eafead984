// One WebSocket client of /api/v1/ws. Server -> client text messages (openapi.json,
// `WsFrameMessage`, `WsEventMessage`, `WsStatusMessage`); client -> server
// {"subscribe": [camera ids]} limits frame messages to those cameras ("all" or null:
// every camera, the default).
//
// Outgoing messages wait in an OutboundQueue (http/outbound_queue.h): the newest frame
// per camera, every event, the newest status. A slow client sees fewer frames, never
// old ones; a client that lets kMaxQueuedEvents events pile up is disconnected.
//
// push_* are called from camera threads (through LiveHub) and never block on I/O.
#pragma once

#include "http/outbound_queue.h"
#include "server_context.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <mutex>
#include <string>

namespace tilescope::server {

class WebSocketSession : public Closable, public std::enable_shared_from_this<WebSocketSession> {
public:
  static constexpr std::size_t kMaxQueuedEvents = 1000;

  WebSocketSession(boost::beast::tcp_stream stream, ServerContext& context);
  ~WebSocketSession() override;

  // Completes the handshake for `upgrade`, then joins the hub and sends a status message.
  void start(boost::beast::http::request<boost::beast::http::empty_body> upgrade);
  void close() override;
  void abort() override;

  void push_frame(std::int64_t camera_id, std::shared_ptr<const std::string> message);
  void push_event(std::shared_ptr<const std::string> message);
  void push_status(std::shared_ptr<const std::string> message);

private:
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec);
  void handle_client_message(const std::string& text);
  void schedule_flush(); // call with mutex_ held
  void flush();          // on the strand
  void on_write(boost::beast::error_code ec);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::asio::any_io_executor executor_;
  boost::beast::http::request<boost::beast::http::empty_body> upgrade_;
  boost::beast::flat_buffer read_buffer_;
  ServerContext& context_;

  std::mutex mutex_; // queue_ and the flags below it: camera threads push, the strand pops
  OutboundQueue queue_{kMaxQueuedEvents};
  bool flush_posted_ = false;
  bool closing_ = false;

  // Strand only.
  bool open_ = false;
  bool writing_ = false;
  std::optional<OutboundQueue::Item> current_;
};

} // namespace tilescope::server
