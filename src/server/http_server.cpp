// HttpServer: the listener, the thread pools, the status tick, and an orderly stop.
//
// Threads (named for `top -H`): ts-http-N run the io_context (sockets only); the
// `workers` pool runs route handlers; the `live` pool runs the short calls of streams
// (MJPEG polls, status messages), so a burst of uploads never stalls live views.
#include "tilescope/server/http_server.h"

#include "api.h"
#include "api_json.h"
#include "http/static_files.h"
#include "http_session.h"
#include "live_hub.h"
#include "server_context.h"
#include "tilescope/core/error.h"
#include "tilescope/pipeline/system.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <thread>

namespace tilescope::server {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kStatusInterval = 2s;           // WebSocket status messages (serve_api.md)
constexpr std::int64_t kMaxConnections = 1000; // beyond this, new connections are closed at once
constexpr int kLiveThreads = 2;
constexpr auto kStopGrace = 2s; // for connections to close before the I/O threads are stopped

bool is_loopback(const net::ip::address& address) { return address.is_loopback(); }

} // namespace

void SessionRegistry::add(const std::shared_ptr<Closable>& session) {
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [](const std::weak_ptr<Closable>& weak) { return weak.expired(); });
  sessions_.push_back(session);
}

void SessionRegistry::close_all() {
  std::vector<std::shared_ptr<Closable>> open;
  {
    std::lock_guard lock(mutex_);
    for (const auto& weak : sessions_) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  for (const auto& session : open)
    session->close();
}

void SessionRegistry::abort_all() {
  std::lock_guard lock(mutex_);
  for (const auto& weak : sessions_) {
    if (auto session = weak.lock()) session->abort();
  }
  sessions_.clear();
}

struct HttpServer::Impl {
  Impl(pipeline::System& system_in, const config::ServerConfig& config_in, ServerOptions options_in)
      : system(system_in), config(config_in), options(std::move(options_in)),
        auth(config.tokens, config.username, config.password), api{system, config, auth, metrics},
        hub(std::make_shared<LiveHub>()), io(std::max(1, config.threads)),
        workers(static_cast<std::size_t>(std::max(1, options.worker_threads))), live(kLiveThreads),
        acceptor(net::make_strand(io)), status_timer(net::make_strand(io)) {
    api.alerts = options.alerts;
  }

  void accept();
  void tick_status();

  pipeline::System& system;
  config::ServerConfig config;
  ServerOptions options;
  Auth auth;
  ServerMetrics metrics;
  ApiContext api;
  std::unique_ptr<Dispatcher> dispatcher;
  std::shared_ptr<LiveHub> hub;
  int listener_handle = -1;
  SessionRegistry sessions;
  std::unique_ptr<ServerContext> context;
  // Declared after everything the sessions use: destroyed first, with the sessions
  // its pending handlers still hold.
  net::io_context io;
  net::thread_pool workers;
  net::thread_pool live;
  tcp::acceptor acceptor;
  net::steady_timer status_timer;
  std::vector<std::thread> threads;
  int port = 0;
  std::mutex stop_mutex;
  bool stopped = false;
};

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(io), [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      const std::int64_t open = metrics.connections + metrics.websocket_sessions + metrics.mjpeg_streams;
      if (open >= kMaxConnections) {
        spdlog::warn("http: {} connections open: refusing a new one", open);
      } else {
        auto session = std::make_shared<HttpSession>(std::move(socket), *context);
        sessions.add(session);
        session->run();
      }
    } else {
      spdlog::warn("http: accept failed: {}", ec.message());
    }
    accept();
  });
}

void HttpServer::Impl::tick_status() {
  status_timer.expires_after(kStatusInterval);
  status_timer.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    if (hub->has_sessions()) {
      net::post(live, [this] {
        hub->push_status(std::make_shared<const std::string>(status_message(system.cameras())));
      });
    }
    tick_status();
  });
}

std::unique_ptr<HttpServer> HttpServer::start(pipeline::System& system, const config::ServerConfig& config,
                                              ServerOptions options) {
  auto impl = std::make_unique<Impl>(system, config, std::move(options));
  StaticFiles statics = impl->options.static_dir.empty() ? StaticFiles::embedded()
                                                         : StaticFiles::directory(impl->options.static_dir);
  impl->dispatcher = make_api(impl->api, std::move(statics));
  const double limit_bytes = std::max(0.0, config.max_upload_mb) * 1024.0 * 1024.0;
  impl->context = std::make_unique<ServerContext>(
      ServerContext{*impl->dispatcher, system, impl->metrics, *impl->hub, impl->sessions, impl->workers,
                    impl->live, static_cast<std::uint64_t>(limit_bytes)});

  const std::string where = config.bind + ":" + std::to_string(config.port);
  tcp::endpoint endpoint;
  try {
    tcp::resolver resolver(impl->io);
    auto results = resolver.resolve(config.bind, std::to_string(config.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service);
    if (results.empty()) throw Error("no address");
    endpoint = results.begin()->endpoint();
  } catch (const std::exception& e) {
    throw Error("server.bind: cannot resolve '" + config.bind + "': " + e.what());
  }
  if (!is_loopback(endpoint.address()) && !impl->auth.required()) {
    throw Error(
        "server.bind " + config.bind +
        ": listening beyond this machine needs auth (server.tokens, or server.username and password)");
  }
  boost::system::error_code ec;
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw Error("server: cannot listen on " + where + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint().port();

  impl->listener_handle = system.add_listener(impl->hub);
  impl->accept();
  impl->tick_status();
  const int threads = std::max(1, config.threads);
  for (int i = 0; i < threads; ++i) {
    impl->threads.emplace_back([io = &impl->io, i] {
      pthread_setname_np(pthread_self(), ("ts-http-" + std::to_string(i)).c_str());
      io->run();
    });
  }
  spdlog::info("http: listening on {}:{}{}", endpoint.address().to_string(), impl->port,
               impl->auth.required() ? " (auth required)" : "");
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  Impl& s = *impl_;
  std::lock_guard lock(s.stop_mutex);
  if (s.stopped) return;
  s.stopped = true;
  s.system.remove_listener(s.listener_handle);
  s.hub->close();
  net::post(s.acceptor.get_executor(), [&s] {
    boost::system::error_code ec;
    s.acceptor.close(ec);
  });
  net::post(s.status_timer.get_executor(), [&s] { s.status_timer.cancel(); });
  s.sessions.close_all();
  // Let the sessions see their sockets close and finish; then stop whatever is left
  // (a handler still waiting on the detector holds its session until it returns).
  const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
  while (std::chrono::steady_clock::now() < deadline &&
         s.metrics.connections + s.metrics.websocket_sessions + s.metrics.mjpeg_streams > 0) {
    std::this_thread::sleep_for(10ms);
  }
  s.io.stop();
  for (std::thread& thread : s.threads)
    thread.join();
  s.workers.stop();
  s.workers.join();
  s.live.stop();
  s.live.join();
  s.sessions.abort_all(); // no thread touches the sessions any more
  spdlog::info("http: stopped");
}

} // namespace tilescope::server
