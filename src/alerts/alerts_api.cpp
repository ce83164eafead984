#include "tilescope/alerts/alerts_api.h"

#include "alerts_config_internal.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <map>
#include <mutex>
#include <vector>

namespace tilescope::alerts {

using nlohmann::json;

namespace {

std::string percent_decode(const std::string& text, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const std::string segment =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!segment.empty()) segments.push_back(percent_decode(segment, false));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return segments;
}

std::map<std::string, std::string> parse_query(const std::string& query) {
  std::map<std::string, std::string> params;
  std::size_t start = 0;
  while (start < query.size()) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string pair = query.substr(start, end - start);
    const auto equals = pair.find('=');
    if (!pair.empty())
      params[percent_decode(pair.substr(0, equals), true)] =
          equals == std::string::npos ? "" : percent_decode(pair.substr(equals + 1), true);
    start = end + 1;
  }
  return params;
}

ApiResponse error(int status, const std::string& code, const std::string& message,
                  const std::string& field = "", const std::vector<config::ConfigIssue>& issues = {}) {
  json body{{"code", code}, {"message", message}};
  if (!field.empty()) body["field"] = field;
  if (!issues.empty()) {
    json list = json::array();
    for (const auto& issue : issues)
      list.push_back({{"path", issue.path}, {"message", issue.message}});
    body["issues"] = list;
  }
  return {status, json{{"error", body}}};
}

ApiResponse not_found(const std::string& what) { return error(404, "not_found", what); }
ApiResponse method_not_allowed(const std::string& method) {
  return error(405, "bad_request", "method " + method + " not allowed here");
}

ApiResponse invalid(const std::vector<config::ConfigIssue>& issues) {
  std::string message;
  for (const auto& issue : issues)
    message += (message.empty() ? "" : "; ") + issue.path + ": " + issue.message;
  return error(400, "bad_request", message, issues.front().path, issues);
}

std::optional<json> parse_body(const std::string& body, ApiResponse& failure) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    failure = error(400, "bad_request", "body: not valid JSON", "body");
    return std::nullopt;
  }
  return parsed;
}

// A non-negative integer query parameter within [min, max].
bool int_param(const std::map<std::string, std::string>& params, const std::string& name, int min, int max,
               int& out, ApiResponse& failure) {
  const auto it = params.find(name);
  if (it == params.end()) return true;
  int value = 0;
  const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  if (ec != std::errc() || end != it->second.data() + it->second.size() || value < min || value > max) {
    failure = error(400, "bad_request",
                    name + ": expected an integer from " + std::to_string(min) + " to " +
                        std::to_string(max) + ", got \"" + it->second + "\"",
                    name);
    return false;
  }
  out = value;
  return true;
}

json rules_body(const AlertService& service) {
  json rules = json::array();
  for (const Rule& rule : service.rules())
    rules.push_back(rule_to_json(rule));
  return json{{"rules", rules}, {"origin", service.rules_origin()}};
}

json counts_json(const DeliveryCounts& counts) {
  return json{{"pending", counts.pending}, {"sent", counts.sent}, {"failed", counts.failed}};
}

json sink_json(const AlertService& service, const SinkConfig& sink) {
  json out = sink_to_json(sink, /*redact_secrets=*/true);
  out["status"] = service.sink_status(sink.name);
  return out;
}

// Validates `rules` (JSON array) as a whole, paths under `path`; applies them when valid.
ApiResponse put_rules(AlertService& service, const json& rules, const std::string& path, int status_ok) {
  std::vector<config::ConfigIssue> issues;
  std::vector<Rule> parsed = rules_from_json(rules, path, service.sinks(), issues);
  if (!issues.empty()) return invalid(issues);
  service.set_rules(std::move(parsed));
  return {status_ok, rules_body(service)};
}

// Rule edits are read-modify-write of the whole list: `edit_mutex` makes them one at a time.
ApiResponse handle_rules(AlertService& service, std::mutex& edit_mutex, const std::string& method,
                         const std::vector<std::string>& segments, const std::string& body) {
  std::lock_guard lock(edit_mutex);
  ApiResponse failure;
  if (segments.size() == 1) {
    if (method == "GET") return {200, rules_body(service)};
    if (method != "PUT") return method_not_allowed(method);
    auto parsed = parse_body(body, failure);
    if (!parsed) return failure;
    if (parsed->is_object() && parsed->contains("rules"))
      return put_rules(service, (*parsed)["rules"], "rules", 200);
    if (parsed->is_array()) return put_rules(service, *parsed, "rules", 200);
    return error(400, "bad_request", "rules: missing (expected {\"rules\": [...]})", "rules");
  }
  const std::string& name = segments[1];
  std::vector<Rule> rules = service.rules();
  const auto it = std::find_if(rules.begin(), rules.end(), [&](const Rule& r) { return r.name == name; });
  if (method == "GET")
    return it == rules.end() ? not_found("no rule named \"" + name + "\"")
                             : ApiResponse{200, rule_to_json(*it)};
  if (method == "DELETE") {
    if (it == rules.end()) return not_found("no rule named \"" + name + "\"");
    rules.erase(it);
    service.set_rules(std::move(rules));
    return {204, nullptr};
  }
  if (method != "PUT") return method_not_allowed(method);
  auto parsed = parse_body(body, failure);
  if (!parsed) return failure;
  if (!parsed->is_object()) return error(400, "bad_request", "body: expected a rule object", "body");
  if (!parsed->contains("name")) (*parsed)["name"] = name;
  if ((*parsed)["name"] != name)
    return error(400, "bad_request", "name: must be \"" + name + "\" (the name in the path)", "name");
  // Paths name the body's own fields ("cooldown_per_track_s").
  std::vector<config::ConfigIssue> issues;
  detail::FieldReader reader(/*lenient=*/false, issues);
  Rule rule = detail::read_rule(reader, *parsed, "", service.sinks());
  if (!issues.empty()) return invalid(issues);
  const bool added = it == rules.end();
  if (added)
    rules.push_back(std::move(rule));
  else
    *it = std::move(rule);
  service.set_rules(std::move(rules));
  const auto rules_now = service.rules();
  const auto stored =
      std::find_if(rules_now.begin(), rules_now.end(), [&](const Rule& r) { return r.name == name; });
  return {added ? 201 : 200, rule_to_json(*stored)};
}

ApiResponse handle_sinks(AlertService& service, const std::string& method,
                         const std::vector<std::string>& segments) {
  if (segments.size() == 1) {
    if (method != "GET") return method_not_allowed(method);
    json sinks = json::array();
    for (const SinkConfig& sink : service.sinks())
      sinks.push_back(sink_json(service, sink));
    return {200, json{{"sinks", sinks}}};
  }
  const std::string& name = segments[1];
  const auto& sinks = service.sinks();
  const auto it =
      std::find_if(sinks.begin(), sinks.end(), [&](const SinkConfig& s) { return s.name == name; });
  if (it == sinks.end()) return not_found("no sink named \"" + name + "\"");
  if (segments.size() == 2) {
    if (method != "GET") return method_not_allowed(method);
    return {200, sink_json(service, *it)};
  }
  if (segments.size() == 3 && segments[2] == "test") {
    if (method != "POST") return method_not_allowed(method);
    const auto result = service.send_test(name);
    return {200, json{{"ok", result->ok},
                      {"error", result->error},
                      {"delivery_id", result->delivery_id},
                      {"elapsed_ms", result->elapsed_ms}}};
  }
  return not_found("no such route under sinks/" + name);
}

ApiResponse handle_deliveries(AlertService& service, const std::string& method,
                              const std::vector<std::string>& segments, const std::string& query) {
  if (segments.size() == 1) {
    if (method != "GET") return method_not_allowed(method);
    const auto params = parse_query(query);
    DeliveryFilter filter;
    ApiResponse failure;
    for (const auto& [key, value] : params) {
      static const std::vector<std::string> kKnown = {"state", "camera", "sink",  "rule",
                                                      "event", "limit",  "offset"};
      if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end())
        return error(400, "bad_request",
                     key + ": unknown parameter (expected state, camera, sink, rule, event, limit, offset)",
                     key);
    }
    if (const auto it = params.find("state"); it != params.end()) {
      filter.state = parse_delivery_state(it->second);
      if (!filter.state)
        return error(400, "bad_request",
                     "state: expected pending | sent | failed, got \"" + it->second + "\"", "state");
    }
    if (const auto it = params.find("camera"); it != params.end()) filter.camera = it->second;
    if (const auto it = params.find("sink"); it != params.end()) filter.sink = it->second;
    if (const auto it = params.find("rule"); it != params.end()) filter.rule = it->second;
    int event_id = -1;
    if (!int_param(params, "event", 0, std::numeric_limits<int>::max(), event_id, failure)) return failure;
    if (event_id >= 0) filter.event_id = event_id;
    if (!int_param(params, "limit", 1, 500, filter.limit, failure)) return failure;
    if (!int_param(params, "offset", 0, std::numeric_limits<int>::max(), filter.offset, failure))
      return failure;
    const DeliveryPage page = service.outbox().list(filter);
    json deliveries = json::array();
    for (const Delivery& d : page.deliveries)
      deliveries.push_back(delivery_to_json(d));
    return {200, json{{"deliveries", deliveries},
                      {"total", page.total},
                      {"limit", filter.limit},
                      {"offset", filter.offset},
                      {"counts", counts_json(service.outbox().counts())}}};
  }
  const std::string& id = segments[1];
  if (segments.size() == 2) {
    if (method != "GET") return method_not_allowed(method);
    const auto d = service.outbox().get(id);
    return d ? ApiResponse{200, delivery_to_json(*d)} : not_found("no delivery " + id);
  }
  if (segments.size() == 3 && segments[2] == "retry") {
    if (method != "POST") return method_not_allowed(method);
    switch (service.retry(id)) {
    case RetryResult::kNotFound: return not_found("no delivery " + id);
    case RetryResult::kNotFailed:
      return error(409, "conflict", "delivery " + id + " is not failed (only failed ones are retried)");
    case RetryResult::kQueued: return {202, delivery_to_json(*service.outbox().get(id))};
    }
  }
  return not_found("no such route under deliveries/" + id);
}

} // namespace

ApiResponse AlertsApi::handle(const std::string& method, const std::string& path, const std::string& query,
                              const std::string& body) const {
  try {
    const std::vector<std::string> segments = split_path(path);
    if (segments.empty()) {
      if (method != "GET") return method_not_allowed(method);
      return {200, json{{"counts", counts_json(service_.outbox().counts())},
                        {"rules", service_.rules().size()},
                        {"rules_origin", service_.rules_origin()},
                        {"sinks", service_.sinks().size()}}};
    }
    if (segments[0] == "rules" && segments.size() <= 2)
      return handle_rules(service_, edit_mutex_, method, segments, body);
    if (segments[0] == "sinks" && segments.size() <= 3) return handle_sinks(service_, method, segments);
    if (segments[0] == "deliveries" && segments.size() <= 3)
      return handle_deliveries(service_, method, segments, query);
    return not_found("no route /api/v1/alerts" + path);
  } catch (const std::exception& e) {
    return error(500, "internal", e.what());
  }
}

} // namespace tilescope::alerts
