// Sinks: JSON to alerts::SinkConfig (one reader per type, registered in kSinkTypes) and
// back, with secrets redacted for anything a user sees.
#include "alerts_config_internal.h"
#include "sink.h"
#include "tilescope/alerts/alert_payload.h"
#include "tilescope/core/redact.h"

#include <algorithm>
#include <array>
#include <set>

namespace tilescope::alerts {

using detail::child_path;
using detail::describe;
using detail::FieldReader;
using detail::index_path;
using nlohmann::json;

namespace {

constexpr const char* kRedacted = "***";

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

bool has_control(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

// "scheme://host[:port][/...]": the scheme (lower case) and whether a host is present.
std::string url_scheme(const std::string& url, bool& has_host) {
  const auto colon = url.find("://");
  has_host = false;
  if (colon == std::string::npos) return "";
  std::string scheme = url.substr(0, colon);
  for (char& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto host_begin = colon + 3;
  const auto host_end = url.find_first_of("/?#", host_begin);
  std::string authority =
      url.substr(host_begin, host_end == std::string::npos ? std::string::npos : host_end - host_begin);
  const auto at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  has_host = !authority.empty() && authority[0] != ':';
  return scheme;
}

void read_timeout(FieldReader& reader, const json& value, const std::string& path, double& out) {
  double timeout = out;
  if (!reader.read(value, path, "timeout_s", timeout)) return;
  if (timeout <= 0 || timeout > 600)
    reader.issue(child_path(path, "timeout_s"), "expected a number of seconds in (0, 600]");
  else
    out = timeout;
}

bool valid_address(const std::string& address) {
  const auto at = address.find('@');
  return at != std::string::npos && at > 0 && at + 1 < address.size() &&
         address.find('@', at + 1) == std::string::npos &&
         std::none_of(address.begin(), address.end(),
                      [](unsigned char c) { return c <= ' ' || c == '<' || c == '>' || c == ','; });
}

EmailSinkOptions read_email(FieldReader& reader, const json& value, const std::string& path) {
  EmailSinkOptions options;
  if (reader.require(value, path, "smtp_url") && reader.read(value, path, "smtp_url", options.smtp_url)) {
    bool has_host = false;
    const std::string scheme = url_scheme(options.smtp_url, has_host);
    if ((scheme != "smtp" && scheme != "smtps") || !has_host || has_control(options.smtp_url))
      reader.issue(child_path(path, "smtp_url"), "expected smtp://host:port or smtps://host:port, got \"" +
                                                     redact_url(options.smtp_url) + "\"");
    else if (scheme == "smtps" && value.contains("starttls") && value["starttls"] == true)
      reader.issue(child_path(path, "starttls"),
                   "smtps:// is TLS from the start; starttls applies to smtp://");
  }
  reader.read(value, path, "starttls", options.starttls);
  reader.read(value, path, "tls_verify", options.tls_verify);
  reader.read(value, path, "username", options.username);
  reader.read(value, path, "password", options.password);
  if (!options.password.empty() && options.username.empty())
    reader.issue(child_path(path, "username"), "missing: a password needs a username");
  if (reader.require(value, path, "from") && reader.read(value, path, "from", options.from) &&
      !valid_address(options.from))
    reader.issue(child_path(path, "from"), "expected an email address, got \"" + options.from + "\"");
  if (reader.require(value, path, "to") && reader.read(value, path, "to", options.to)) {
    if (options.to.empty()) reader.issue(child_path(path, "to"), "expected at least one recipient");
    for (std::size_t i = 0; i < options.to.size(); ++i)
      if (!valid_address(options.to[i]))
        reader.issue(index_path(child_path(path, "to"), i),
                     "expected an email address, got \"" + options.to[i] + "\"");
  }
  if (reader.read(value, path, "subject", options.subject)) {
    if (const auto error = template_error(options.subject))
      reader.issue(child_path(path, "subject"), *error);
    else if (has_control(options.subject))
      reader.issue(child_path(path, "subject"), "expected one line of text");
  }
  read_timeout(reader, value, path, options.timeout_s);
  return options;
}

WebhookSinkOptions read_webhook(FieldReader& reader, const json& value, const std::string& path) {
  WebhookSinkOptions options;
  if (reader.require(value, path, "url") && reader.read(value, path, "url", options.url)) {
    bool has_host = false;
    const std::string scheme = url_scheme(options.url, has_host);
    if ((scheme != "http" && scheme != "https") || !has_host || has_control(options.url))
      reader.issue(child_path(path, "url"),
                   "expected http(s)://host[:port]/path, got \"" + url_for_display(options.url) + "\"");
  }
  reader.read(value, path, "secret", options.secret);
  read_timeout(reader, value, path, options.timeout_s);
  if (reader.read(value, path, "headers", options.headers)) {
    for (const auto& [name, text] : options.headers) {
      const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_';
      });
      if (!name_ok)
        reader.issue(child_path(child_path(path, "headers"), name),
                     "expected a header name ([A-Za-z0-9_-]+)");
      else if (has_control(text))
        reader.issue(child_path(child_path(path, "headers"), name), "expected one line of text");
    }
  }
  reader.read(value, path, "tls_verify", options.tls_verify);
  reader.read(value, path, "include_snapshot", options.include_snapshot);
  return options;
}

MqttSinkOptions read_mqtt(FieldReader& reader, const json& value, const std::string& path) {
  MqttSinkOptions options;
  if (reader.require(value, path, "host") && reader.read(value, path, "host", options.host) &&
      (options.host.empty() || has_control(options.host) || options.host.find("://") != std::string::npos))
    reader.issue(child_path(path, "host"),
                 "expected a host name or address (no scheme), got \"" + options.host + "\"");
  int port = options.port;
  if (reader.read(value, path, "port", port)) {
    if (port < 1 || port > 65535)
      reader.issue(child_path(path, "port"), "expected 1 to 65535");
    else
      options.port = port;
  }
  reader.read(value, path, "username", options.username);
  reader.read(value, path, "password", options.password);
  if (reader.read(value, path, "topic_prefix", options.topic_prefix)) {
    const std::string& prefix = options.topic_prefix;
    if (prefix.empty() || prefix.find_first_of("+#") != std::string::npos || prefix.front() == '/' ||
        prefix.back() == '/' || has_control(prefix))
      reader.issue(child_path(path, "topic_prefix"),
                   "expected a topic level such as \"tilescope\" (no + or #, no leading or trailing /)");
  }
  if (reader.read(value, path, "client_id", options.client_id) &&
      (options.client_id.empty() || options.client_id.size() > 64 || has_control(options.client_id)))
    reader.issue(child_path(path, "client_id"), "expected 1 to 64 characters");
  int qos = options.qos;
  if (reader.read(value, path, "qos", qos)) {
    if (qos < 0 || qos > 2)
      reader.issue(child_path(path, "qos"), "expected 0, 1 or 2");
    else
      options.qos = qos;
  }
  read_timeout(reader, value, path, options.timeout_s);
  return options;
}

// One entry per sink type, sorted by name: the keys it takes and its reader.
struct SinkTypeEntry {
  const char* name;
  std::vector<std::string_view> keys;
  decltype(SinkConfig::options) (*read)(FieldReader&, const json&, const std::string&);
};

const std::array<SinkTypeEntry, 3> kSinkTypes = {{
    {"email",
     {"name", "type", "smtp_url", "starttls", "tls_verify", "username", "password", "from", "to", "subject",
      "timeout_s"},
     [](FieldReader& r, const json& v, const std::string& p) -> decltype(SinkConfig::options) {
       return read_email(r, v, p);
     }},
    {"mqtt",
     {"name", "type", "host", "port", "username", "password", "topic_prefix", "client_id", "qos",
      "timeout_s"},
     [](FieldReader& r, const json& v, const std::string& p) -> decltype(SinkConfig::options) {
       return read_mqtt(r, v, p);
     }},
    {"webhook",
     {"name", "type", "url", "secret", "timeout_s", "headers", "tls_verify", "include_snapshot"},
     [](FieldReader& r, const json& v, const std::string& p) -> decltype(SinkConfig::options) {
       return read_webhook(r, v, p);
     }},
}};

std::optional<SinkConfig> read_sink(FieldReader& reader, const json& value, const std::string& path) {
  if (!value.is_object()) {
    reader.issue(path, "expected an object (a mapping), got " + describe(value));
    return std::nullopt;
  }
  SinkConfig sink;
  if (reader.require(value, path, "name") && reader.read(value, path, "name", sink.name) &&
      !valid_name(sink.name))
    reader.issue(child_path(path, "name"), "expected 1 to 64 of [A-Za-z0-9_-], got \"" + sink.name + "\"");
  std::string type;
  if (!reader.require(value, path, "type") || !reader.read(value, path, "type", type)) return std::nullopt;
  for (const SinkTypeEntry& entry : kSinkTypes) {
    if (type != entry.name) continue;
    reader.object(value, path, entry.keys);
    sink.options = entry.read(reader, value, path);
    return sink;
  }
  reader.issue(child_path(path, "type"), "expected email | mqtt | webhook, got \"" + type + "\"");
  return std::nullopt;
}

} // namespace

namespace detail {

std::vector<SinkConfig> read_sinks(FieldReader& reader, const json& value, const std::string& path) {
  std::vector<SinkConfig> sinks;
  if (!value.is_array()) {
    reader.issue(path, "expected a list of sinks, got " + describe(value));
    return sinks;
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto sink = read_sink(reader, value[i], index_path(path, i));
    if (!sink) continue;
    if (!sink->name.empty() && !names.insert(sink->name).second)
      reader.issue(child_path(index_path(path, i), "name"), "duplicate sink name \"" + sink->name + "\"");
    sinks.push_back(std::move(*sink));
  }
  return sinks;
}

} // namespace detail

json sink_to_json(const SinkConfig& sink, bool redact_secrets) {
  const auto secret = [&](const std::string& text) -> json {
    return redact_secrets && !text.empty() ? json(kRedacted) : json(text);
  };
  json out{{"name", sink.name}, {"type", to_string(sink.type())}};
  if (const auto* email = std::get_if<EmailSinkOptions>(&sink.options)) {
    out["smtp_url"] = redact_secrets ? redact_url(email->smtp_url) : email->smtp_url;
    out["starttls"] = email->starttls;
    out["tls_verify"] = email->tls_verify;
    out["username"] = email->username;
    out["password"] = secret(email->password);
    out["from"] = email->from;
    out["to"] = email->to;
    out["subject"] = email->subject;
    out["timeout_s"] = email->timeout_s;
  } else if (const auto* mqtt = std::get_if<MqttSinkOptions>(&sink.options)) {
    out["host"] = mqtt->host;
    out["port"] = mqtt->port;
    out["username"] = mqtt->username;
    out["password"] = secret(mqtt->password);
    out["topic_prefix"] = mqtt->topic_prefix;
    out["client_id"] = mqtt->client_id;
    out["qos"] = mqtt->qos;
    out["timeout_s"] = mqtt->timeout_s;
  } else if (const auto* webhook = std::get_if<WebhookSinkOptions>(&sink.options)) {
    out["url"] = redact_secrets ? url_for_display(webhook->url) : webhook->url;
    out["secret"] = secret(webhook->secret);
    out["timeout_s"] = webhook->timeout_s;
    // Header values are often credentials ("Authorization: Bearer ..."): names only.
    json headers = json::object();
    for (const auto& [name, text] : webhook->headers)
      headers[name] = redact_secrets ? json(kRedacted) : json(text);
    out["headers"] = headers;
    out["tls_verify"] = webhook->tls_verify;
    out["include_snapshot"] = webhook->include_snapshot;
  }
  return out;
}

} // namespace tilescope::alerts
