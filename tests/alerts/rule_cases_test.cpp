// Runs the text cases in tests/alerts/cases/*.test: an `alerts:` section (JSON), then
// events at given times, then `----` and the alerts expected (or the config errors).
//
//   case: cooldown per camera
//   tz: CET-1CEST,M3.5.0,M10.5.0/3          (POSIX TZ; default UTC0)
//   alerts:
//   {"sinks": [...], "rules": [...]}        (JSON over any number of lines; without
//                                            "sinks", one webhook sink "s" is added)
//   at 2024-05-06 10:00:00 opened id=1 camera=gate label=person score=0.9 track=1 zones=door
//   at 2024-05-06 10:00:01 updated id=1 score=0.95 zones=door,yard
//   at 2024-05-06 10:00:02 frame camera=gate tracks=1,2
//   at 2024-05-06 10:00:03 tick
//   at 2024-05-06T08:00:04Z closed id=1     (Z: UTC; otherwise local time in `tz`)
//   ----
//   at 2024-05-06 10:00:01 new rule=r event=1
//   error alerts.rules[0].cooldown_s: unknown key      (path, then a part of the message)
//   ====                                               (next case)
//
// Expected alerts and errors must match exactly, in order. Rerun one file with
// ALERTS_CASES=<file name>; a failure prints the case name, what came and what was expected.
#include "rule_engine.h"
#include "test_servers.h"
#include "tilescope/alerts/alerts_config.h"

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>

namespace tilescope::alerts {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Case {
  std::string file;
  int line = 0;
  std::string name;
  std::string tz = "UTC0";
  std::string alerts_json;
  std::vector<std::string> steps;
  std::vector<std::string> expected;
};

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

std::vector<Case> read_cases(const std::string& path) {
  std::vector<Case> cases;
  std::ifstream file(path);
  std::string line;
  Case current;
  enum class Part { kHeader, kAlerts, kSteps, kExpected } part = Part::kHeader;
  int number = 0;
  const auto finish = [&] {
    if (!current.name.empty()) cases.push_back(current);
    current = Case{};
    part = Part::kHeader;
  };
  while (std::getline(file, line)) {
    ++number;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line == "====") {
      finish();
      continue;
    }
    if (part == Part::kHeader && line.rfind("case:", 0) == 0) {
      current.file = fs::path(path).filename().string();
      current.line = number;
      current.name = trim(line.substr(5));
    } else if (part == Part::kHeader && line.rfind("tz:", 0) == 0) {
      current.tz = trim(line.substr(3));
    } else if (part == Part::kHeader && line == "alerts:") {
      part = Part::kAlerts;
    } else if (line == "----") {
      part = Part::kExpected;
    } else if (part == Part::kExpected) {
      current.expected.push_back(line);
    } else if (line.rfind("at ", 0) == 0) {
      part = Part::kSteps;
      current.steps.push_back(line);
    } else if (part == Part::kAlerts) {
      current.alerts_json += line + "\n";
    } else {
      ADD_FAILURE() << path << ":" << number << ": cannot read \"" << line << "\"";
    }
  }
  finish();
  return cases;
}

// "2024-05-06 10:00:00" (local) or "2024-05-06T08:00:00Z" (UTC) -> ms.
std::int64_t parse_time(const std::string& text) {
  std::tm tm{};
  const bool utc = !text.empty() && text.back() == 'Z';
  const char* format = utc ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S";
  if (strptime(text.c_str(), format, &tm) == nullptr) throw std::runtime_error("bad time: " + text);
  tm.tm_isdst = -1;
  return static_cast<std::int64_t>(utc ? timegm(&tm) : mktime(&tm)) * 1000;
}

std::string format_time(std::int64_t ms) {
  const std::time_t seconds = ms / 1000;
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, separator))
    if (!part.empty()) parts.push_back(part);
  return parts;
}

class ScopedTz {
public:
  explicit ScopedTz(const std::string& tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", tz.c_str(), 1);
    tzset();
  }
  ~ScopedTz() {
    if (old_)
      setenv("TZ", old_->c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }

private:
  std::optional<std::string> old_;
};

// Runs one case; returns what came out, in the expected lines' format.
std::vector<std::string> run_case(const Case& c) {
  json alerts = json::parse(c.alerts_json);
  if (!alerts.contains("sinks"))
    alerts["sinks"] = json::array({{{"name", "s"}, {"type", "webhook"}, {"url", "http://127.0.0.1:9/hook"}}});
  std::vector<config::ConfigIssue> issues;
  const AlertsConfig config = parse_alerts_config(alerts, issues);
  std::vector<std::string> out;
  for (const auto& issue : issues)
    out.push_back("error " + issue.path + ": " + issue.message);
  if (!issues.empty()) return out;

  RuleEngine engine;
  engine.set_rules(config.rules);
  std::map<std::int64_t, store::EventRecord> events;
  for (const std::string& step : c.steps) {
    // "at <date> <time> <verb> key=value..." or "at <dateTtimeZ> <verb> ..."
    std::vector<std::string> words = split(step.substr(3), ' ');
    std::string when = words[0];
    std::size_t next = 1;
    if (when.back() != 'Z') when += " " + words[next++];
    const std::int64_t now = parse_time(when);
    const std::string verb = words[next++];
    std::map<std::string, std::string> args;
    for (; next < words.size(); ++next) {
      const auto equals = words[next].find('=');
      args[words[next].substr(0, equals)] = words[next].substr(equals + 1);
    }
    std::vector<Firing> firings;
    if (verb == "tick") {
      firings = engine.tick(now);
    } else if (verb == "frame") {
      std::vector<std::int64_t> tracks;
      for (const std::string& id : split(args["tracks"], ','))
        tracks.push_back(std::stoll(id));
      firings = engine.observe_frame(args["camera"], tracks, now);
    } else {
      const std::int64_t id = std::stoll(args.at("id"));
      store::EventRecord& event = events[id];
      if (verb == "opened") {
        event.id = id;
        event.start_ms = now;
        event.camera_name = "gate";
        event.label = "person";
      }
      if (args.count("camera")) event.camera_name = args["camera"];
      if (args.count("label")) event.label = args["label"];
      if (args.count("score")) event.score = std::stod(args["score"]);
      if (args.count("track")) event.track_id = std::stoll(args["track"]);
      if (args.count("zones")) event.zones = split(args["zones"], ',');
      event.updated_ms = now;
      EventKind kind = EventKind::kUpdated;
      if (verb == "opened") kind = EventKind::kOpened;
      if (verb == "closed") {
        kind = EventKind::kClosed;
        event.end_ms = now;
      }
      firings = engine.on_event(kind, event, "", now);
    }
    for (const Firing& f : firings)
      out.push_back("at " + format_time(now) + " " + to_string(f.type) + " rule=" + f.rule.name +
                    " event=" + std::to_string(f.event.id));
  }
  return out;
}

bool matches(const std::string& got, const std::string& expected) {
  // Errors: the path must be equal, the message must contain the expected text.
  if (expected.rfind("error ", 0) == 0) {
    const auto colon = expected.find(": ");
    if (colon == std::string::npos) return got == expected;
    return got.rfind(expected.substr(0, colon + 2), 0) == 0 &&
           got.find(expected.substr(colon + 2), colon + 2) != std::string::npos;
  }
  return got == expected;
}

std::vector<std::string> case_files() {
  std::vector<std::string> files;
  const char* only = std::getenv("ALERTS_CASES");
  for (const auto& entry : fs::directory_iterator(testing::source_path("tests/alerts/cases")))
    if (entry.path().extension() == ".test" && (only == nullptr || entry.path().filename() == only))
      files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(RuleCases, EveryCaseGivesTheExpectedAlertsOrErrors) {
  int cases_run = 0;
  for (const std::string& file : case_files()) {
    for (const Case& c : read_cases(file)) {
      ++cases_run;
      ScopedTz tz(c.tz);
      std::vector<std::string> got;
      try {
        got = run_case(c);
      } catch (const std::exception& e) {
        ADD_FAILURE() << c.file << ":" << c.line << " [" << c.name << "] threw: " << e.what();
        continue;
      }
      bool same = got.size() == c.expected.size();
      for (std::size_t i = 0; same && i < got.size(); ++i)
        same = matches(got[i], c.expected[i]);
      if (same) continue;
      std::string report;
      for (const auto& line : got)
        report += "\n    " + line;
      std::string wanted;
      for (const auto& line : c.expected)
        wanted += "\n    " + line;
      ADD_FAILURE() << c.file << ":" << c.line << " [" << c.name
                    << "]\n  got:" << (got.empty() ? " nothing" : report)
                    << "\n  expected:" << (wanted.empty() ? " nothing" : wanted);
    }
  }
  EXPECT_GT(cases_run, 20);
}

} // namespace
} // namespace tilescope::alerts
