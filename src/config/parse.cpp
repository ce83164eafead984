// parse_config: YAML text -> JSON tree (yaml_tree) -> typed Config (ValueReader, which
// files an issue per wrong type or unknown key) -> value checks (validate). Every issue
// of every stage is collected; one ConfigError carries them all.
#include "camera_reader.h"
#include "tilescope/config/config.h"
#include "validate.h"
#include "value_reader.h"
#include "yaml_tree.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tilescope::config {

using nlohmann::json;

namespace {

using detail::child_path;
using detail::Dialect;
using detail::index_path;
using detail::ValueReader;

constexpr std::array<std::string_view, 6> kTopKeys{"server", "model",   "storage",
                                                   "tiling", "cameras", "alerts"};
constexpr std::array<std::string_view, 5> kServerKeys{"bind", "port", "auth", "max_upload_mb", "threads"};
constexpr std::array<std::string_view, 3> kAuthKeys{"tokens", "username", "password"};
constexpr std::array<std::string_view, 4> kModelKeys{"path", "precision", "labels", "threads"};
constexpr std::array<std::string_view, 3> kStorageKeys{"path", "retention_days", "max_gb"};

std::string what_text(const std::string& source, const std::vector<ConfigIssue>& issues) {
  std::string text = (source.empty() ? std::string("configuration") : source) + ": " +
                     std::to_string(issues.size()) + (issues.size() == 1 ? " problem" : " problems");
  for (const ConfigIssue& issue : issues) {
    text += "\n  ";
    if (!issue.path.empty()) text += issue.path + ": ";
    text += issue.message;
  }
  return text;
}

const json* find(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

ServerConfig read_server(ValueReader& reader, const json& value) {
  ServerConfig server;
  if (!reader.object(value, "server", kServerKeys)) return server;
  reader.field(value, "server", "bind", server.bind);
  reader.field(value, "server", "port", server.port);
  reader.field(value, "server", "max_upload_mb", server.max_upload_mb);
  reader.field(value, "server", "threads", server.threads);
  if (const json* auth = find(value, "auth"); auth != nullptr && !auth->is_null()) {
    if (reader.object(*auth, "server.auth", kAuthKeys)) {
      reader.field(*auth, "server.auth", "tokens", server.tokens);
      reader.field(*auth, "server.auth", "username", server.username);
      reader.field(*auth, "server.auth", "password", server.password);
    }
  }
  return server;
}

ModelConfig read_model(ValueReader& reader, const json& value) {
  ModelConfig model;
  if (!reader.object(value, "model", kModelKeys)) return model;
  reader.field(value, "model", "path", model.path);
  reader.field(value, "model", "precision", model.precision);
  reader.field(value, "model", "labels", model.labels);
  reader.field(value, "model", "threads", model.threads);
  return model;
}

StorageConfig read_storage(ValueReader& reader, const json& value) {
  StorageConfig storage;
  if (!reader.object(value, "storage", kStorageKeys)) return storage;
  reader.field(value, "storage", "path", storage.path);
  reader.field(value, "storage", "retention_days", storage.retention_days);
  reader.field(value, "storage", "max_gb", storage.max_gb);
  return storage;
}

// `skip_cameras` receives the indices of camera entries that are not mappings.
Config read_config(ValueReader& reader, const json& tree, std::vector<std::size_t>& skip_cameras) {
  Config config;
  if (tree.is_null()) return config; // an empty file: every default, no cameras
  if (!reader.object(tree, "", kTopKeys)) return config;
  // A section written with nothing under it (`server:`) is null: its defaults.
  const auto section = [&](std::string_view key) {
    const json* value = find(tree, key);
    return value != nullptr && !value->is_null() ? value : nullptr;
  };
  if (const json* value = section("server")) config.server = read_server(reader, *value);
  if (const json* value = section("model")) config.model = read_model(reader, *value);
  if (const json* value = section("storage")) config.storage = read_storage(reader, *value);
  if (const json* value = section("tiling"))
    config.tiling = detail::read_tiling(reader, *value, "tiling", {});
  if (const json* value = section("cameras"); value != nullptr && reader.array(*value, "cameras")) {
    for (std::size_t i = 0; i < value->size(); ++i) {
      // Kept even when malformed, so the indices of later cameras stay those of the document.
      if (!(*value)[i].is_object()) skip_cameras.push_back(i);
      config.cameras.push_back(
          detail::read_camera(reader, (*value)[i], index_path("cameras", i), config.tiling));
    }
  }
  if (const json* value = section("alerts")) config.alerts = *value;
  return config;
}

// The tree: every section as the text the user wrote (ValueReader's kYaml dialect),
// except `alerts:`, which the config module does not read and hands on typed.
json document_tree(const YAML::Node& root, std::vector<ConfigIssue>& issues, detail::LineMap& lines) {
  if (!root.IsMap()) return detail::yaml_to_json(root, "", false, issues, &lines);
  json tree = json::object();
  for (const auto& entry : root) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (key.empty()) {
      issues.push_back({"", "a top-level key is not plain text (line " +
                                std::to_string(entry.first.Mark().line + 1) + ")"});
      continue;
    }
    if (tree.contains(key)) {
      issues.push_back({key, "duplicate key (line " + std::to_string(entry.first.Mark().line + 1) + ")"});
      continue;
    }
    tree[key] = detail::yaml_to_json(entry.second, key, key == "alerts", issues, &lines);
  }
  return tree;
}

// "(line N)" after each message, from the deepest node of its path the document has;
// then the issues in the order of the document.
void add_lines(std::vector<ConfigIssue>& issues, const detail::LineMap& lines) {
  std::vector<std::pair<int, ConfigIssue>> by_line;
  for (ConfigIssue& issue : issues) {
    int line = 0;
    for (std::string path = issue.path; !path.empty();) {
      if (const auto it = lines.find(path); it != lines.end()) {
        line = it->second;
        break;
      }
      const auto cut = path.find_last_of(".[");
      path = cut == std::string::npos ? "" : path.substr(0, cut);
    }
    if (line > 0 && issue.message.find("(line ") == std::string::npos) {
      issue.message += " (line " + std::to_string(line) + ")";
    }
    by_line.emplace_back(line, std::move(issue));
  }
  std::stable_sort(by_line.begin(), by_line.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < issues.size(); ++i)
    issues[i] = std::move(by_line[i].second);
}

void resolve(std::string& path, const std::string& base_dir) {
  if (path.empty() || base_dir.empty() || std::filesystem::path(path).is_absolute()) return;
  path = (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

} // namespace

ConfigError::ConfigError(std::string source, std::vector<ConfigIssue> issues)
    : Error(what_text(source, issues)), issues_(std::move(issues)) {}

Config parse_config(const std::string& yaml_text, const std::string& source, const std::string& base_dir) {
  std::vector<ConfigIssue> issues;
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yaml_text);
  } catch (const YAML::Exception& e) {
    const std::string where =
        e.mark.is_null() ? ""
                         : std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": ";
    throw ConfigError(source, {{"", where + "YAML syntax error: " + e.msg}});
  }
  if (documents.size() > 1) {
    throw ConfigError(source, {{"", "expected one YAML document, found " + std::to_string(documents.size()) +
                                        " (separated by ---)"}});
  }
  detail::LineMap lines;
  const json tree = documents.empty() ? json(nullptr) : document_tree(documents.front(), issues, lines);
  ValueReader reader(Dialect::kYaml, issues);
  std::vector<std::size_t> skip_cameras;
  Config config = read_config(reader, tree, skip_cameras);
  detail::validate_config(config, skip_cameras, issues);
  if (!issues.empty()) {
    add_lines(issues, lines);
    throw ConfigError(source, std::move(issues));
  }
  resolve(config.storage.path, base_dir);
  resolve(config.model.path, base_dir);
  resolve(config.model.labels, base_dir);
  config.source_path = source;
  return config;
}

Config load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, {{"", std::string("cannot read the file: ") + std::strerror(errno)}});
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path, {{"", std::string("cannot read the file: ") + std::strerror(errno)}});
  std::error_code error;
  const auto absolute = std::filesystem::absolute(path, error);
  const std::string base_dir =
      error ? std::filesystem::path(path).parent_path().string() : absolute.parent_path().string();
  return parse_config(text.str(), path, base_dir);
}

} // namespace tilescope::config
