// Webhook: the payload as a JSON POST, signed (webhook_signature.h) when a secret is
// set, X-Tilescope-Delivery-Id for deduplication. 2xx is sent; anything else, or no
// answer within timeout_s, is retried by the outbox.
#include "curl_handle.h"
#include "email_message.h"
#include "sink.h"
#include "webhook_signature.h"

#include <cstdio>
#include <mutex>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace tilescope::alerts {

using nlohmann::json;

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

namespace {

constexpr std::size_t kMaxResponseKept = 300; // of an error response, for last_error

std::size_t keep_response(char* data, std::size_t size, std::size_t count, void* user) {
  auto* response = static_cast<std::string*>(user);
  const std::size_t n = size * count;
  if (response->size() < kMaxResponseKept)
    response->append(data, std::min(n, kMaxResponseKept - response->size()));
  return n;
}

class WebhookSink : public Sink {
public:
  WebhookSink(std::string name, WebhookSinkOptions options)
      : name_(std::move(name)), options_(std::move(options)) {
    detail::ensure_curl_initialised();
  }

  SendResult send(const OutgoingAlert& alert) override {
    json body_json = alert.payload;
    if (options_.include_snapshot) {
      const std::string jpeg = read_attachment(alert.attachment_path);
      body_json["snapshot"] =
          jpeg.empty() ? json(nullptr)
                       : json{{"content_type", "image/jpeg"}, {"base64", base64_encode(jpeg, false)}};
    }
    const std::string body = body_json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

    detail::CurlList headers;
    detail::append(headers, "Content-Type: application/json");
    detail::append(headers, "User-Agent: tilescope-alerts/1");
    detail::append(headers, "X-Tilescope-Delivery-Id: " + alert.delivery_id);
    detail::append(headers, "X-Tilescope-Event: " + alert.payload.value("type", "new"));
    if (!options_.secret.empty())
      detail::append(headers, "X-Tilescope-Signature: " + webhook_signature(options_.secret, body));
    for (const auto& [name, value] : options_.headers)
      detail::append(headers, name + ": " + value);
    // libcurl would otherwise send "Expect: 100-continue" for large bodies and wait.
    detail::append(headers, "Expect:");

    std::lock_guard lock(mutex_);
    if (!curl_) curl_.reset(curl_easy_init());
    if (!curl_) return {false, "cannot create a libcurl handle"};
    CURL* curl = curl_.get();
    curl_easy_reset(curl);
    char error_buffer[CURL_ERROR_SIZE] = "";
    std::string response;
    const long timeout_ms = static_cast<long>(options_.timeout_s * 1000);
    curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_response);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10000L));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    if (!options_.tls_verify) {
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    const CURLcode code = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    const std::string where = "POST " + url_for_display(options_.url) + ": ";
    if (code != CURLE_OK) {
      curl_.reset();
      return {false, where + detail::curl_error(code, error_buffer)};
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) return {true, ""};
    for (char& c : response)
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    return {false, where + "HTTP " + std::to_string(status) + (response.empty() ? "" : ": " + response)};
  }

private:
  std::string name_;
  WebhookSinkOptions options_;
  std::mutex mutex_;
  detail::CurlHandle curl_;
};

} // namespace

std::unique_ptr<Sink> make_webhook_sink(const std::string& name, const WebhookSinkOptions& options) {
  return std::make_unique<WebhookSink>(name, options);
}

} // namespace tilescope::alerts
