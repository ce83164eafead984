// libcurl pieces shared by the email and webhook sinks: one-time global init and an
// owned easy handle (reused between sends, so its connection cache keeps a warm
// SMTP/HTTP connection to the same server).
#pragma once

#include <curl/curl.h>
#include <memory>
#include <string>

namespace tilescope::alerts::detail {

void ensure_curl_initialised();

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlList = std::unique_ptr<curl_slist, SlistDeleter>;

inline void append(CurlList& list, const std::string& item) {
  curl_slist* grown = curl_slist_append(list.get(), item.c_str());
  if (grown != nullptr) {
    (void)list.release();
    list.reset(grown);
  }
}

// "Couldn't connect to server (Failed to connect to 127.0.0.1 port 2525: Connection refused)"
inline std::string curl_error(CURLcode code, const char* error_buffer) {
  std::string message = curl_easy_strerror(code);
  if (error_buffer != nullptr && error_buffer[0] != '\0') message += std::string(" (") + error_buffer + ")";
  return message;
}

} // namespace tilescope::alerts::detail
