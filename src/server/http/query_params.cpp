#include "http/query_params.h"

#include "http/api_error.h"
#include "http/request_target.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace tilescope::server {
namespace {

// Quoted for messages, cut so a huge value does not become a huge error body.
std::string shown(std::string_view value) {
  constexpr std::size_t kMax = 40;
  std::string text(value.substr(0, kMax));
  if (value.size() > kMax) text += "...";
  return "'" + text + "'";
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

std::string range_text(double min, double max) {
  auto number = [](double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  return "[" + number(min) + ", " + number(max) + "]";
}

} // namespace

QueryParams QueryParams::parse(std::string_view raw_query) {
  QueryParams params;
  std::size_t begin = 0;
  while (begin <= raw_query.size()) {
    auto end = raw_query.find('&', begin);
    if (end == std::string_view::npos) end = raw_query.size();
    const std::string_view pair = raw_query.substr(begin, end - begin);
    begin = end + 1;
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    const auto name = percent_decode(pair.substr(0, equals), true);
    if (!name) throw ApiError::bad_request("query: malformed percent-encoding in a parameter name", "query");
    const auto value = equals == std::string_view::npos ? std::optional<std::string>("")
                                                        : percent_decode(pair.substr(equals + 1), true);
    if (!value) throw ApiError::bad_request(*name + ": malformed percent-encoding", *name);
    if (name->empty()) continue;
    if (value->empty()) continue; // an empty form field means "not given"
    if (!params.values_.emplace(*name, *value).second)
      throw ApiError::bad_request(*name + ": given more than once", *name);
  }
  return params;
}

bool QueryParams::has(std::string_view name) const { return values_.find(name) != values_.end(); }

std::optional<std::string> QueryParams::get(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::int64_t> QueryParams::get_int(std::string_view name, std::int64_t min,
                                                 std::int64_t max) const {
  const auto text = get(name);
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const char* first = text->data();
  const char* last = first + text->size();
  const auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last || value < min || value > max) {
    throw ApiError::bad_request(std::string(name) + ": expected an integer in [" + std::to_string(min) +
                                    ", " + std::to_string(max) + "], got " + shown(*text),
                                std::string(name));
  }
  return value;
}

std::optional<double> QueryParams::get_double(std::string_view name, double min, double max) const {
  const auto text = get(name);
  if (!text) return std::nullopt;
  double value = 0;
  const char* first = text->data();
  const char* last = first + text->size();
  const auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last || !std::isfinite(value) || value < min || value > max) {
    throw ApiError::bad_request(std::string(name) + ": expected a number in " + range_text(min, max) +
                                    ", got " + shown(*text),
                                std::string(name));
  }
  return value;
}

std::optional<bool> QueryParams::get_bool(std::string_view name) const {
  const auto text = get(name);
  if (!text) return std::nullopt;
  std::string lower = *text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
  throw ApiError::bad_request(std::string(name) + ": expected true or false (or 1 / 0), got " + shown(*text),
                              std::string(name));
}

std::vector<std::string> QueryParams::get_list(std::string_view name) const {
  std::vector<std::string> items;
  const auto text = get(name);
  if (!text) return items;
  std::size_t begin = 0;
  while (begin <= text->size()) {
    auto end = text->find(',', begin);
    if (end == std::string::npos) end = text->size();
    std::string item = trim(std::string_view(*text).substr(begin, end - begin));
    if (!item.empty()) items.push_back(std::move(item));
    begin = end + 1;
  }
  return items;
}

void QueryParams::allow_only(std::initializer_list<std::string_view> known) const {
  for (const auto& [name, value] : values_) {
    if (name == "token") continue;
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string expected;
    for (std::string_view k : known)
      expected += (expected.empty() ? "" : ", ") + std::string(k);
    throw ApiError::bad_request(name + ": unknown parameter (expected one of: " + expected + ")", name);
  }
}

} // namespace tilescope::server
