#include "sink.h"

#include "curl_handle.h"

#include <fstream>
#include <iterator>
#include <mutex>

namespace tilescope::alerts {

namespace detail {

void ensure_curl_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

} // namespace detail

std::unique_ptr<Sink> make_sink(const SinkConfig& config) {
  switch (config.type()) {
  case SinkType::kEmail: return make_email_sink(config.name, std::get<EmailSinkOptions>(config.options));
  case SinkType::kMqtt: return make_mqtt_sink(config.name, std::get<MqttSinkOptions>(config.options));
  case SinkType::kWebhook:
    return make_webhook_sink(config.name, std::get<WebhookSinkOptions>(config.options));
  }
  return nullptr;
}

std::string url_for_display(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "***";
  const auto host_begin = scheme_end + 3;
  auto host_end = url.find_first_of("/?#", host_begin);
  if (host_end == std::string::npos) host_end = url.size();
  std::string authority = url.substr(host_begin, host_end - host_begin);
  if (const auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  const bool more = host_end < url.size() && url.substr(host_end) != "/";
  return url.substr(0, host_begin) + authority + (more ? "/***" : "");
}

std::string read_attachment(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream file(path, std::ios::binary);
  if (!file) return {};
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

} // namespace tilescope::alerts
