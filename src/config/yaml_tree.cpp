#include "yaml_tree.h"

#include "value_reader.h"

#include <cstdlib>
#include <regex>

namespace tilescope::config::detail {

using nlohmann::json;

namespace {

// Deeper documents are not configuration; the limit also bounds the recursion.
constexpr int kMaxDepth = 64;

bool is_env_name(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string substitute_env(const std::string& text, const std::string& path,
                           std::vector<ConfigIssue>& issues) {
  if (text.find("${") == std::string::npos) return text;
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    const std::string name = close == std::string::npos ? "" : text.substr(i + 2, close - i - 2);
    if (!is_env_name(name)) {
      // The text is not shown: it may be a URL holding a password.
      issues.push_back({path,
                        "malformed environment reference: expected ${NAME} with NAME of letters, digits "
                        "and '_' (write $${ for a literal ${)"});
      return text;
    }
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      issues.push_back({path, "environment variable " + name + " is not set"});
      out += text.substr(i, close + 1 - i); // kept, so the checks of the value do not report it again
    } else {
      out += value;
    }
    i = close + 1;
  }
  return out;
}

void convert(const YAML::Node& node, const std::string& path, bool typed, int depth,
             std::vector<ConfigIssue>& issues, LineMap* lines, json& out) {
  if (lines != nullptr && !node.Mark().is_null()) lines->emplace(path, node.Mark().line + 1);
  if (depth > kMaxDepth) {
    issues.push_back({path, "nested deeper than " + std::to_string(kMaxDepth) + " levels"});
    out = nullptr;
    return;
  }
  switch (node.Type()) {
  case YAML::NodeType::Undefined:
  case YAML::NodeType::Null: out = nullptr; return;
  case YAML::NodeType::Scalar: {
    // yaml-cpp tags quoted scalars "!" and plain ones "?"; an explicit !!str counts as quoted.
    const bool quoted = node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
    const std::string text = substitute_env(node.Scalar(), path, issues);
    if (quoted) {
      out = text;
    } else if (typed) {
      out = resolve_typed_scalar(text);
    } else {
      const json resolved = resolve_plain_scalar(node.Scalar());
      out = resolved.is_null() ? json(nullptr) : json(text);
    }
    return;
  }
  case YAML::NodeType::Sequence: {
    out = json::array();
    std::size_t i = 0;
    for (const YAML::Node& item : node) {
      json value;
      convert(item, index_path(path, i++), typed, depth + 1, issues, lines, value);
      out.push_back(std::move(value));
    }
    return;
  }
  case YAML::NodeType::Map: {
    out = json::object();
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        issues.push_back(
            {path, "a key is not plain text (line " + std::to_string(entry.first.Mark().line + 1) + ")"});
        continue;
      }
      const std::string key = entry.first.Scalar();
      const std::string key_path = child_path(path, key);
      if (out.contains(key)) {
        issues.push_back(
            {key_path, "duplicate key (line " + std::to_string(entry.first.Mark().line + 1) + ")"});
        continue;
      }
      convert(entry.second, key_path, typed, depth + 1, issues, lines, out[key]);
    }
    return;
  }
  }
}

} // namespace

json resolve_plain_scalar(const std::string& text) {
  // YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
  static const std::regex kNull("~|null|Null|NULL|");
  static const std::regex kTrue("true|True|TRUE");
  static const std::regex kFalse("false|False|FALSE");
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kHex("0x[0-9a-fA-F]+");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(text, kNull)) return nullptr;
  if (std::regex_match(text, kTrue)) return true;
  if (std::regex_match(text, kFalse)) return false;
  try {
    if (std::regex_match(text, kInt)) return std::stoll(text);
    if (std::regex_match(text, kHex)) return std::stoll(text, nullptr, 16);
    if (std::regex_match(text, kFloat)) return std::stod(text);
  } catch (const std::out_of_range&) {
    // Too large for a 64-bit integer or a double: the text as it is.
  }
  return text;
}

json resolve_typed_scalar(const std::string& text) {
  json value = resolve_plain_scalar(text);
  // `password: 0123` must not become 123: a number or boolean whose JSON text is not
  // the text written ("0123", "1.50", "0x1F", "True", "1e3") stays that text, and a
  // reader expecting a number reads it from the text (the alerts' lenient reader does).
  // So every string field gets back exactly what the user wrote: a string, or a value
  // whose dump() is that string.
  if ((value.is_number() || value.is_boolean()) && value.dump() != text) return text;
  return value;
}

json yaml_to_json(const YAML::Node& node, const std::string& path, bool typed,
                  std::vector<ConfigIssue>& issues, LineMap* lines) {
  json out;
  convert(node, path, typed, 0, issues, lines, out);
  return out;
}

} // namespace tilescope::config::detail
