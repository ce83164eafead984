// libFuzzer target for the HTTP request path of `tilescope serve` (src/server/http):
// any bytes are parsed as an HTTP request by Beast the way the session does (16 KB of
// headers, a small body limit), then dispatched with auth on through a router that
// holds the API's route shapes and whose handlers use every request parser we own
// (query getters, path ids, multipart forms, JSON bodies). Whatever comes in, the
// answer must be a response, never a crash or an exception, and an error answer must
// be the API's error JSON. Build and run: see fuzz/CMakeLists.txt (seed the corpus
// with a few requests, e.g. printf 'GET /api/v1/events?limit=5 HTTP/1.1\r\n\r\n').
#include "http/api_error.h"
#include "http/dispatcher.h"
#include "http/image_header.h"
#include "http/multipart.h"
#include "http/request_target.h"

#include <boost/beast/core/buffers_to_string.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace {

using namespace tilescope::server;

Response echo(RequestContext& context) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : context.query.values())
    out[name] = value;
  return Response::json(out);
}

Dispatcher& dispatcher() {
  static Auth auth({"fuzz-token"}, "admin", "password");
  static Dispatcher instance = [] {
    Router router;
    router.add(http::verb::get, "/healthz", echo);
    router.add(http::verb::get, "/api/v1/events", [](RequestContext& c) {
      c.query.allow_only({"camera", "from", "to", "open", "limit", "offset", "label"});
      c.query.get_int("camera", 1, (1LL << 53) - 1);
      c.query.get_int("limit", 1, 500);
      c.query.get_bool("open");
      return echo(c);
    });
    router.add(http::verb::get, "/api/v1/events/{id}", [](RequestContext& c) {
      return Response::json({{"id", c.path_id("id")}});
    });
    router.add(http::verb::post, "/api/v1/cameras/test", echo);
    router.add(http::verb::get, "/api/v1/cameras/{id}/snapshot.jpg", [](RequestContext& c) {
      c.path_id("id");
      c.query.get_bool("annotated");
      return echo(c);
    });
    router.add(http::verb::post, "/api/v1/detect", [](RequestContext& c) {
      c.query.get_double("conf", 0, 1);
      c.query.get_list("classes");
      const auto type = c.request.find(http::field::content_type);
      if (type != c.request.end() && is_multipart_form(view(type->value())))
        find_form_part(c.request.body(), view(type->value()), "image");
      return echo(c);
    });
    router.add(http::verb::post, "/api/v1/login", [](RequestContext& c) {
      const auto body = nlohmann::json::parse(c.request.body(), nullptr, false);
      if (body.is_discarded()) throw ApiError::bad_request("body: malformed JSON", "body");
      return echo(c);
    });
    return Dispatcher(std::move(router), auth, StaticFiles::embedded(), {"/api/v1/login"});
  }();
  return instance;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The decoders alone, on raw input.
  (void)parse_target(bytes);
  (void)percent_decode(bytes, true);
  (void)read_image_header(bytes);

  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) return 0;
  const Request request = parser.release();
  (void)dispatcher().authorized(request);
  const Response response = dispatcher().handle(request);
  const unsigned status = static_cast<unsigned>(response.status);
  if (status < 100 || status > 599) std::abort();
  if (status >= 400 && response.content_type == "application/json") {
    const auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_discarded() || !body.contains("error") || !body["error"].contains("code")) std::abort();
  }
  return 0;
}
