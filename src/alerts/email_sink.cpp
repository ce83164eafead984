// Email over SMTP with libcurl: plain, STARTTLS (smtp:// with starttls: true) or
// implicit TLS (smtps://), optional AUTH, several recipients. The message is
// email_message.h's; curl does the SMTP dot-stuffing. Sent means the server answered
// 250 to the end of DATA.
#include "curl_handle.h"
#include "email_message.h"
#include "sink.h"
#include "tilescope/alerts/outbox.h"
#include "tilescope/core/redact.h"

#include <chrono>
#include <cstring>
#include <mutex>

namespace tilescope::alerts {

namespace {

struct Upload {
  const std::string* data;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->data->size() - upload->offset);
  std::memcpy(buffer, upload->data->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class EmailSink : public Sink {
public:
  EmailSink(std::string name, EmailSinkOptions options)
      : name_(std::move(name)), options_(std::move(options)) {
    detail::ensure_curl_initialised();
  }

  SendResult send(const OutgoingAlert& alert) override {
    const EmailMessage message =
        compose_alert_email(options_, alert.payload, read_attachment(alert.attachment_path), wall_ms());
    // The delivery id is random already: unique boundaries without another generator.
    const std::string mime = to_mime(message, alert.delivery_id);

    std::lock_guard lock(mutex_);
    if (!curl_) curl_.reset(curl_easy_init());
    if (!curl_) return {false, "cannot create a libcurl handle"};
    CURL* curl = curl_.get();
    curl_easy_reset(curl); // keeps the connection cache: the next mail reuses the session
    char error_buffer[CURL_ERROR_SIZE] = "";
    Upload upload{&mime};
    detail::CurlList recipients;
    for (const std::string& to : options_.to)
      detail::append(recipients, "<" + to + ">");
    const std::string from = "<" + options_.from + ">";
    const long timeout_ms = static_cast<long>(options_.timeout_s * 1000);

    curl_easy_setopt(curl, CURLOPT_URL, options_.smtp_url.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mime.size()));
    if (options_.starttls) curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!options_.username.empty()) {
      curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
    }
    if (!options_.tls_verify) {
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10000L));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    // Servers drop idle sessions; an older one is not worth the failed first command.
    curl_easy_setopt(curl, CURLOPT_MAXAGE_CONN, 30L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);

    const CURLcode code = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, nullptr);
    if (code == CURLE_OK) return {true, ""};
    long response = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response);
    std::string error =
        "SMTP " + redact_url(options_.smtp_url) + ": " + detail::curl_error(code, error_buffer);
    if (response != 0) error += " [last reply " + std::to_string(response) + "]";
    // A failed session is not reused.
    curl_.reset();
    return {false, error};
  }

private:
  std::string name_;
  EmailSinkOptions options_;
  std::mutex mutex_;
  detail::CurlHandle curl_;
};

} // namespace

std::unique_ptr<Sink> make_email_sink(const std::string& name, const EmailSinkOptions& options) {
  return std::make_unique<EmailSink>(name, options);
}

} // namespace tilescope::alerts
