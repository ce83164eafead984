#include "websocket_session.h"

#include "api_json.h"
#include "live_hub.h"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace tilescope::server {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using namespace std::chrono_literals;

constexpr std::size_t kMaxClientMessage = 64 * 1024;

} // namespace

WebSocketSession::WebSocketSession(beast::tcp_stream stream, ServerContext& context)
    : ws_(std::move(stream)), executor_(ws_.get_executor()), context_(context) {
  context_.metrics.websocket_sessions.fetch_add(1);
}

WebSocketSession::~WebSocketSession() { context_.metrics.websocket_sessions.fetch_sub(1); }

void WebSocketSession::start(http::request<http::empty_body> upgrade) {
  upgrade_ = std::move(upgrade);
  beast::get_lowest_layer(ws_).expires_never(); // the websocket stream keeps its own timeouts
  websocket::stream_base::timeout timeout =
      websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeout.idle_timeout = 60s; // a ping after 30 s of silence, closed after 60 s without an answer
  timeout.keep_alive_pings = true;
  ws_.set_option(timeout);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(http::field::server, "tilescope"); }));
  ws_.read_message_max(kMaxClientMessage);
  ws_.text(true);
  ws_.async_accept(upgrade_, [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
}

void WebSocketSession::on_accept(beast::error_code ec) {
  if (ec) {
    spdlog::debug("websocket: handshake failed: {}", ec.message());
    return;
  }
  open_ = true;
  context_.hub.add(shared_from_this());
  // The current state at once, so a client need not wait for the next tick.
  net::post(context_.live, [self = shared_from_this()] {
    self->push_status(std::make_shared<const std::string>(status_message(self->context_.system.cameras())));
  });
  do_read();
}

void WebSocketSession::abort() {
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
}

void WebSocketSession::close() {
  net::post(executor_, [self = shared_from_this()] {
    {
      std::lock_guard lock(self->mutex_);
      self->closing_ = true;
    }
    if (!self->open_) return beast::get_lowest_layer(self->ws_).close();
    self->open_ = false;
    self->ws_.async_close(websocket::close_code::going_away,
                          [self](beast::error_code) { beast::get_lowest_layer(self->ws_).close(); });
  });
}

void WebSocketSession::do_read() {
  ws_.async_read(read_buffer_,
                 [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void WebSocketSession::on_read(beast::error_code ec) {
  if (ec) {
    // Closed by the client, a timeout, or close(): stop pushing to this session.
    open_ = false;
    std::lock_guard lock(mutex_);
    closing_ = true;
    queue_.clear();
    return;
  }
  const std::string text = beast::buffers_to_string(read_buffer_.data());
  read_buffer_.consume(read_buffer_.size());
  handle_client_message(text);
  do_read();
}

void WebSocketSession::handle_client_message(const std::string& text) {
  std::string error;
  const nlohmann::json message = nlohmann::json::parse(text, nullptr, false);
  if (message.is_discarded() || !message.is_object()) {
    error = "expected a JSON object such as {\"subscribe\": [1, 2]}";
  } else if (message.contains("subscribe")) {
    const nlohmann::json& list = message["subscribe"];
    std::optional<std::set<std::int64_t>> subscription;
    if (list.is_array()) {
      subscription.emplace();
      for (const nlohmann::json& id : list) {
        if (!id.is_number_integer()) {
          error = "subscribe: expected an array of camera ids";
          break;
        }
        subscription->insert(id.get<std::int64_t>());
      }
    } else if (!list.is_null() && list != "all") {
      error = "subscribe: expected an array of camera ids, \"all\" or null";
    }
    if (error.empty()) {
      std::lock_guard lock(mutex_);
      queue_.subscribe(std::move(subscription));
    }
  } else {
    error = "unknown message: expected {\"subscribe\": [camera ids]}";
  }
  if (!error.empty()) {
    push_event(std::make_shared<const std::string>(dump({{"type", "error"}, {"message", error}})));
  }
}

void WebSocketSession::push_frame(std::int64_t camera_id, std::shared_ptr<const std::string> message) {
  std::lock_guard lock(mutex_);
  if (closing_) return;
  if (queue_.push_frame(camera_id, std::move(message)))
    context_.metrics.websocket_frames_dropped.fetch_add(1, std::memory_order_relaxed);
  schedule_flush();
}

void WebSocketSession::push_event(std::shared_ptr<const std::string> message) {
  std::lock_guard lock(mutex_);
  if (closing_) return;
  if (!queue_.push_event(std::move(message))) {
    spdlog::warn("websocket: client too slow ({} event messages unsent): disconnecting it", kMaxQueuedEvents);
    closing_ = true;
    queue_.clear();
    net::post(executor_, [self = shared_from_this()] { beast::get_lowest_layer(self->ws_).close(); });
    return;
  }
  schedule_flush();
}

void WebSocketSession::push_status(std::shared_ptr<const std::string> message) {
  std::lock_guard lock(mutex_);
  if (closing_) return;
  queue_.push_status(std::move(message));
  schedule_flush();
}

void WebSocketSession::schedule_flush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  net::post(executor_, [self = shared_from_this()] { self->flush(); });
}

void WebSocketSession::flush() {
  {
    std::lock_guard lock(mutex_);
    flush_posted_ = false;
    if (writing_ || !open_ || closing_) return;
    current_ = queue_.pop();
    if (!current_) return;
  }
  writing_ = true;
  ws_.async_write(net::buffer(*current_->message),
                  [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

void WebSocketSession::on_write(beast::error_code ec) {
  writing_ = false;
  const OutboundQueue::Kind kind = current_->kind;
  current_.reset();
  if (ec) {
    open_ = false;
    std::lock_guard lock(mutex_);
    closing_ = true;
    queue_.clear();
    return;
  }
  switch (kind) {
  case OutboundQueue::Kind::kEvent:
    context_.metrics.websocket_events_sent.fetch_add(1, std::memory_order_relaxed);
    break;
  case OutboundQueue::Kind::kStatus:
    context_.metrics.websocket_status_sent.fetch_add(1, std::memory_order_relaxed);
    break;
  case OutboundQueue::Kind::kFrame:
    context_.metrics.websocket_frames_sent.fetch_add(1, std::memory_order_relaxed);
    break;
  }
  flush();
}

} // namespace tilescope::server
