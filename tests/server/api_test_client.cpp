#include "api_test_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <stdexcept>

namespace tilescope::server::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kRequestTimeout = 120s; // a detection on a busy 2-core box can take seconds

std::string lower(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

template <class Fields> void copy_headers(const Fields& fields, std::map<std::string, std::string>& out) {
  for (const auto& field : fields) {
    std::string name = lower(std::string(field.name_string()));
    std::string value(field.value());
    auto [it, inserted] = out.emplace(name, value);
    if (!inserted) it->second += "\n" + value;
  }
}

tcp::endpoint local(int port) {
  return {net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)};
}

// Runs the io_context until its work is done (the operations carry their own deadlines).
void run(net::io_context& io) {
  io.restart();
  io.run();
}

} // namespace

std::string HttpResult::header(const std::string& name) const {
  const auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

nlohmann::json HttpResult::json() const { return nlohmann::json::parse(body); }

HttpResult TestClient::request(http::verb method, const std::string& target, const std::string& body,
                               const std::string& content_type,
                               const std::vector<std::pair<std::string, std::string>>& headers) {
  net::io_context io;
  beast::tcp_stream stream(io);
  HttpResult result;
  beast::error_code ec;
  stream.expires_after(kRequestTimeout);
  stream.async_connect(local(port_), [&](beast::error_code e) { ec = e; });
  run(io);
  if (ec) return result;

  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!content_type.empty()) req.set(http::field::content_type, content_type);
  for (const auto& [name, value] : headers)
    req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  http::async_write(stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
  run(io);
  // A server may answer early (413, 401) and stop reading: still read what it sent.
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 30);
  if (method == http::verb::head) parser.skip(true);
  http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
  run(io);
  if (ec) return result;
  auto response = parser.release();
  result.status = static_cast<int>(response.result_int());
  result.body = std::move(response.body());
  copy_headers(response, result.headers);
  bodies_.push_back(result.body);
  return result;
}

HttpResult TestClient::raw(const std::string& bytes, std::chrono::seconds timeout) {
  net::io_context io;
  beast::tcp_stream stream(io);
  HttpResult result;
  beast::error_code ec;
  stream.expires_after(timeout);
  stream.async_connect(local(port_), [&](beast::error_code e) { ec = e; });
  run(io);
  if (ec) return result;
  net::async_write(stream, net::buffer(bytes), [&](beast::error_code e, std::size_t) { ec = e; });
  run(io);
  std::string received;
  char chunk[4096];
  // Responses parsed so far; done once one says the connection ends (the server
  // half-closes after it, and waits a moment for us to leave).
  auto complete = [&] {
    std::size_t offset = 0;
    while (offset < received.size()) {
      http::response_parser<http::string_body> parser;
      parser.eager(true);
      beast::error_code parse_ec;
      std::size_t used = 0;
      while (!parser.is_done() && offset + used < received.size()) {
        const std::size_t n = parser.put(
            net::buffer(received.data() + offset + used, received.size() - offset - used), parse_ec);
        if (parse_ec || n == 0) break;
        used += n;
      }
      if (!parser.is_done()) return false;
      offset += used;
      auto response = parser.release();
      result.status = static_cast<int>(response.result_int());
      result.body = response.body();
      result.headers.clear();
      copy_headers(response, result.headers);
      if (response.need_eof()) return true;
    }
    return false;
  };
  std::function<void()> read_more = [&] {
    stream.async_read_some(net::buffer(chunk), [&](beast::error_code e, std::size_t n) {
      received.append(chunk, n);
      if (!e && !complete()) read_more();
    });
  };
  read_more();
  run(io);
  if (result.status == 0) complete(); // closed by the server: whatever came
  bodies_.push_back(received);
  return result;
}

HttpResult TestClient::mjpeg(const std::string& target, int count, std::vector<std::string>& parts,
                             std::chrono::seconds timeout) {
  net::io_context io;
  beast::tcp_stream stream(io);
  HttpResult result;
  beast::error_code ec;
  stream.expires_after(timeout);
  stream.async_connect(local(port_), [&](beast::error_code e) { ec = e; });
  run(io);
  if (ec) return result;
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  net::async_write(stream, net::buffer(request), [&](beast::error_code e, std::size_t) { ec = e; });
  run(io);
  if (ec) return result;

  std::string data;
  char chunk[65536];
  bool head_done = false;
  std::size_t pos = 0;
  // Parse as bytes arrive: the head, then parts "--frame\r\n<headers>\r\n\r\n<jpeg>\r\n".
  auto parse = [&]() -> bool {
    if (!head_done) {
      const auto end = data.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      http::response_parser<http::empty_body> head;
      head.skip(true);
      beast::error_code head_ec;
      head.put(net::buffer(data.data(), end + 4), head_ec);
      result.status = static_cast<int>(head.get().result_int());
      copy_headers(head.get(), result.headers);
      head_done = true;
      pos = end + 4;
    }
    while (static_cast<int>(parts.size()) < count) {
      const auto boundary = data.find("--frame\r\n", pos);
      if (boundary == std::string::npos) return false;
      const auto headers_end = data.find("\r\n\r\n", boundary);
      if (headers_end == std::string::npos) return false;
      const std::string part_headers = lower(data.substr(boundary, headers_end - boundary));
      const auto length_at = part_headers.find("content-length:");
      if (length_at == std::string::npos) throw std::runtime_error("MJPEG part without Content-Length");
      const std::size_t length = std::stoul(part_headers.substr(length_at + 15));
      if (data.size() < headers_end + 4 + length + 2) return false;
      parts.push_back(data.substr(headers_end + 4, length));
      pos = headers_end + 4 + length + 2;
    }
    return true;
  };
  std::function<void()> read_more = [&] {
    stream.async_read_some(net::buffer(chunk), [&](beast::error_code e, std::size_t n) {
      data.append(chunk, n);
      if (e || parse()) return;
      read_more();
    });
  };
  read_more();
  run(io);
  return result;
}

WsClient::WsClient(int port, const std::string& target, int& status) : ws_(io_) {
  status = 0;
  beast::error_code ec;
  auto& lowest = beast::get_lowest_layer(ws_);
  lowest.expires_after(30s);
  lowest.async_connect(local(port), [&](beast::error_code e) { ec = e; });
  run(io_);
  if (ec) return;
  beast::websocket::response_type response;
  ws_.async_handshake(response, "127.0.0.1", target, [&](beast::error_code e) { ec = e; });
  run(io_);
  status = static_cast<int>(response.result_int());
  if (ec) {
    closed_ = true;
    return;
  }
  lowest.expires_never(); // the reads below are bounded by next()'s run_for
}

WsClient::~WsClient() {
  if (closed_) return;
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
  io_.restart();
  io_.run_for(2s); // let the pending read finish with its error
}

std::optional<nlohmann::json> WsClient::next(std::chrono::milliseconds timeout) {
  if (closed_) return std::nullopt;
  if (!reading_) {
    reading_ = true;
    ready_ = false;
    ws_.async_read(buffer_, [this](beast::error_code e, std::size_t) {
      reading_ = false;
      if (e) {
        closed_ = true;
        return;
      }
      ready_ = true;
    });
  }
  io_.restart();
  io_.run_for(timeout);
  if (!ready_) return std::nullopt;
  ready_ = false;
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  return nlohmann::json::parse(text);
}

void WsClient::send(const std::string& text) {
  beast::error_code ec;
  ws_.text(true);
  // A synchronous write: the server reads continuously, so it cannot block for long.
  ws_.write(net::buffer(text), ec);
  if (ec) closed_ = true;
}

} // namespace tilescope::server::testing
