// Query parameters with validation that names the parameter:
//
//   QueryParams q = QueryParams::parse("camera=2&limit=x");
//   q.get_int("limit", 1, 500)  // throws ApiError 400, field "limit":
//                               // "limit: expected an integer in [1, 500], got 'x'"
//
// An empty value ("camera=") counts as absent, so HTML forms can send every field.
// A repeated parameter is an error (which one would win is a guess).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tilescope::server {

class QueryParams {
public:
  // Throws ApiError (400, field = the parameter) on a malformed escape or a repeat.
  static QueryParams parse(std::string_view raw_query);

  bool has(std::string_view name) const;
  std::optional<std::string> get(std::string_view name) const;
  std::optional<std::int64_t> get_int(std::string_view name, std::int64_t min, std::int64_t max) const;
  std::optional<double> get_double(std::string_view name, double min, double max) const;
  // 1/0, true/false, yes/no, on/off.
  std::optional<bool> get_bool(std::string_view name) const;
  // Comma-separated, trimmed, empty items dropped ("person, car" -> [person, car]).
  std::vector<std::string> get_list(std::string_view name) const;
  // Throws ApiError naming the first parameter not in `known` (typos such as
  // "limt=5" fail loudly instead of being ignored). "token" is always allowed.
  void allow_only(std::initializer_list<std::string_view> known) const;

  const std::map<std::string, std::string, std::less<>>& values() const { return values_; }

private:
  std::map<std::string, std::string, std::less<>> values_;
};

} // namespace tilescope::server
