// Static UI files: content types, embedded set, and no way out of the served folder.
#include "http/static_files.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace tilescope::server {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class StaticFolder : public ::testing::Test {
protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("tilescope-static-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    write(base_ / "secret.txt", "TOP-SECRET");
    write(base_ / "web" / "index.html", "<html>ui</html>");
    write(base_ / "web" / "js" / "app.js", "export {};");
    write(base_ / "web" / ".hidden", "hidden");
    fs::create_symlink(base_ / "secret.txt", base_ / "web" / "link.txt");
  }
  void TearDown() override { fs::remove_all(base_); }
  fs::path base_;
};

TEST_F(StaticFolder, ServesFilesWithTheirTypes) {
  const StaticFiles files = StaticFiles::directory((base_ / "web").string());
  EXPECT_TRUE(files.has_ui());
  Response index = files.index();
  EXPECT_EQ(index.status, http::status::ok);
  EXPECT_EQ(index.body, "<html>ui</html>");
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  Response js = files.file({"js", "app.js"});
  EXPECT_EQ(js.status, http::status::ok);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
}

TEST_F(StaticFolder, TraversalNeverLeavesTheFolder) {
  const StaticFiles files = StaticFiles::directory((base_ / "web").string());
  const std::vector<std::vector<std::string>> attempts = {
      {"..", "secret.txt"},
      {"js", "..", "..", "secret.txt"},
      {"..%2fsecret.txt"},
      {"../secret.txt"}, // one decoded segment holding a slash (from %2F)
      {(base_ / "secret.txt").string()},
      {"", "secret.txt"},
      {".", "index.html"},
      {".hidden"},
      {"link.txt"}, // a symlink out of the folder
      {"js\\..\\..\\secret.txt"},
      {"C:", "secret.txt"},
      {"missing.js"},
  };
  for (const auto& segments : attempts) {
    Response r = files.file(segments);
    EXPECT_EQ(r.status, http::status::not_found) << segments.front();
    EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos);
  }
}

TEST(StaticFiles, EmbeddedSetHasNoBuildOrTestFiles) {
  const StaticFiles files = StaticFiles::embedded();
  for (const std::string& path : files.paths()) {
    EXPECT_EQ(path.find("node_modules"), std::string::npos) << path;
    EXPECT_NE(path.rfind("tests/", 0), 0u) << path;
    EXPECT_NE(path, "package.json");
    EXPECT_NE(path, "package-lock.json");
  }
  // With or without a built UI, "/" answers HTML.
  Response index = files.index();
  EXPECT_EQ(index.status, http::status::ok);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(files.file({"..", "CMakeLists.txt"}).status, http::status::not_found);
}

TEST(StaticFiles, ContentTypes) {
  EXPECT_EQ(content_type_for("a.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("x/y.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("noext"), "application/octet-stream");
  EXPECT_FALSE(is_safe_segment(".."));
  EXPECT_FALSE(is_safe_segment(std::string("a\0b", 3)));
  EXPECT_TRUE(is_safe_segment("app.js"));
}

} // namespace
} // namespace tilescope::server
