// The embedded OpenAPI document: valid JSON, OpenAPI 3.0, every $ref resolves, every
// operation has responses. (api_routes_test.cpp checks it lists every real route.)
#include "http/openapi.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tilescope::server {
namespace {

using nlohmann::json;

void collect_refs(const json& node, std::vector<std::string>& refs) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) refs.push_back(value.get<std::string>());
      collect_refs(value, refs);
    }
  } else if (node.is_array()) {
    for (const json& item : node)
      collect_refs(item, refs);
  }
}

TEST(OpenApi, DocumentIsValidOpenApi3) {
  const json doc = json::parse(openapi_document());
  EXPECT_EQ(doc.at("openapi").get<std::string>().rfind("3.0", 0), 0u);
  EXPECT_TRUE(doc.at("info").contains("title"));
  ASSERT_TRUE(doc.at("paths").is_object());
  EXPECT_GE(doc["paths"].size(), 20u);
  const std::set<std::string> methods = {"get", "put", "post", "delete", "patch", "head", "options"};
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      if (method == "parameters") continue;
      EXPECT_TRUE(methods.count(method)) << path << " " << method;
      EXPECT_TRUE(operation.contains("responses")) << path << " " << method;
      EXPECT_TRUE(operation.contains("summary")) << path << " " << method;
      EXPECT_TRUE(operation.contains("operationId")) << path << " " << method;
    }
  }
  std::vector<std::string> refs;
  collect_refs(doc, refs);
  EXPECT_FALSE(refs.empty());
  for (const std::string& ref : refs) {
    ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
    EXPECT_NO_THROW(doc.at(json::json_pointer(ref.substr(1)))) << "unresolved $ref " << ref;
  }
}

} // namespace
} // namespace tilescope::server
