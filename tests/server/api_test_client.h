// A small synchronous client for the API tests, on Beast: HTTP requests, raw bytes,
// MJPEG parts and a WebSocket. Every operation is bounded in time (async operations
// with deadlines, run to completion), so a server bug fails a test instead of hanging it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tilescope::server::testing {

struct HttpResult {
  int status = 0; // 0: no response (connection failed or closed)
  std::string body;
  std::map<std::string, std::string> headers; // lower-case names; repeated headers joined by "\n"
  std::string header(const std::string& name) const;
  nlohmann::json json() const; // the body parsed; fails the test (throws) if it is not JSON
};

class TestClient {
public:
  explicit TestClient(int port) : port_(port) {}

  HttpResult request(boost::beast::http::verb method, const std::string& target, const std::string& body = "",
                     const std::string& content_type = "",
                     const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpResult get(const std::string& target,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return request(boost::beast::http::verb::get, target, "", "", headers);
  }
  HttpResult post_json(const std::string& target, const std::string& body) {
    return request(boost::beast::http::verb::post, target, body, "application/json");
  }

  // Sends `bytes` as they are and returns what comes back until the server closes
  // (or `timeout`), parsed as a response when possible.
  HttpResult raw(const std::string& bytes, std::chrono::seconds timeout = std::chrono::seconds(10));

  // Reads the response head and `count` JPEG parts of a multipart/x-mixed-replace
  // stream. Returns the head (status, headers) and fills `parts`.
  HttpResult mjpeg(const std::string& target, int count, std::vector<std::string>& parts,
                   std::chrono::seconds timeout = std::chrono::seconds(60));

  // Every body this client received: checked for leaked secrets.
  const std::vector<std::string>& bodies() const { return bodies_; }

private:
  int port_;
  std::vector<std::string> bodies_;
};

class WsClient {
public:
  // Connects and upgrades; `status` receives the handshake's HTTP status (101 on success).
  WsClient(int port, const std::string& target, int& status);
  ~WsClient();

  // The next text message parsed as JSON, or nullopt when none came within `timeout`.
  std::optional<nlohmann::json> next(std::chrono::milliseconds timeout);
  void send(const std::string& text);
  bool closed() const { return closed_; }

private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  bool reading_ = false;
  bool ready_ = false;
  bool closed_ = false;
};

} // namespace tilescope::server::testing
