#include "http/static_files.h"

#include "http/api_error.h"
#include "http/embedded_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tilescope::server {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kNotBuiltPage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tilescope</title>
<style>body{font-family:system-ui,sans-serif;background:#111;color:#ddd;margin:4rem auto;max-width:40rem}
code{color:#8cf}</style></head>
<body><h1>tilescope</h1>
<p>The web UI was not built into this binary (the <code>web/</code> folder was empty at build time).</p>
<p>The API is running: see <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>,
<a href="/healthz">/healthz</a> and <a href="/metrics">/metrics</a>.</p>
</body></html>
)";

Response not_found(std::string_view what) {
  return error_response(ApiError::not_found("no such file: " + std::string(what.substr(0, 200))));
}

std::string join(const std::vector<std::string>& segments) {
  std::string path;
  for (const std::string& segment : segments)
    path += (path.empty() ? "" : "/") + segment;
  return path;
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return std::move(bytes).str();
}

// No caching by the browser beyond revalidation: file names carry no content hash,
// so a rebuilt UI must be picked up at the next load.
Response asset(std::string bytes, const std::string& path) {
  Response response = Response::bytes(std::move(bytes), content_type_for(path));
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

} // namespace

std::string content_type_for(std::string_view path) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
      {".mp4", "video/mp4"},
  };
  const auto dot = path.rfind('.');
  if (dot != std::string_view::npos) {
    std::string extension(path.substr(dot));
    for (char& c : extension)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& [ext, type] : kTypes) {
      if (extension == ext) return std::string(type);
    }
  }
  return "application/octet-stream";
}

bool is_safe_segment(std::string_view segment) {
  if (segment.empty() || segment.front() == '.') return false; // ".", "..", dotfiles
  return segment.find_first_of(std::string_view("/\\:\0", 4)) == std::string_view::npos;
}

StaticFiles StaticFiles::embedded() {
  StaticFiles files;
  for (const EmbeddedFile& file : web_assets())
    files.embedded_.emplace(file.path, file.bytes());
  return files;
}

StaticFiles StaticFiles::directory(const std::string& root) {
  std::error_code ec;
  const fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_directory(canonical)) throw Error("static files: not a folder: " + root);
  StaticFiles files;
  files.root_ = canonical.string();
  return files;
}

bool StaticFiles::has_ui() const {
  if (root_) return fs::is_regular_file(fs::path(*root_) / "index.html");
  return embedded_.count("index.html") > 0;
}

std::vector<std::string> StaticFiles::paths() const {
  std::vector<std::string> paths;
  for (const auto& [path, bytes] : embedded_)
    paths.push_back(path);
  return paths;
}

Response StaticFiles::index() const {
  if (!has_ui()) {
    Response response = Response::bytes(std::string(kNotBuiltPage), "text/html; charset=utf-8");
    response.headers.emplace_back("Cache-Control", "no-cache");
    return response;
  }
  return file({"index.html"});
}

Response StaticFiles::file(const std::vector<std::string>& segments) const {
  if (segments.empty()) return not_found("");
  for (const std::string& segment : segments) {
    if (!is_safe_segment(segment)) return not_found(segment);
  }
  const std::string relative = join(segments);
  if (!root_) {
    const auto it = embedded_.find(relative);
    if (it == embedded_.end()) return not_found(relative);
    return asset(std::string(it->second), relative);
  }
  // Development folder: resolve symlinks and stay inside the root.
  std::error_code ec;
  const fs::path resolved = fs::weakly_canonical(fs::path(*root_) / relative, ec);
  const std::string resolved_text = resolved.string();
  if (ec || resolved_text.size() <= root_->size() || resolved_text.compare(0, root_->size(), *root_) != 0 ||
      resolved_text[root_->size()] != '/' || !fs::is_regular_file(resolved)) {
    return not_found(relative);
  }
  auto bytes = read_file(resolved);
  if (!bytes) return not_found(relative);
  return asset(std::move(*bytes), relative);
}

} // namespace tilescope::server
