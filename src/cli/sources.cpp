#include "sources.h"

#include <algorithm>
#include <filesystem>
#include <glob.h>
#include <set>

namespace tilescope::cli {
namespace {

namespace fs = std::filesystem;

std::string lower_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

bool is_image_ext(const std::string& ext) {
  static const std::set<std::string> kImage = {".jpg", ".jpeg", ".png", ".bmp", ".webp",
                                               ".tif", ".tiff", ".jpe", ".pgm", ".ppm"};
  return kImage.count(ext) != 0;
}

bool is_video_ext(const std::string& ext) {
  static const std::set<std::string> kVideo = {".mp4", ".avi",   ".mkv",  ".mov", ".webm", ".m4v",
                                               ".mpg", ".mpeg",  ".ts",   ".flv", ".wmv",  ".3gp",
                                               ".gif", ".mjpeg", ".h264", ".h265"};
  return kVideo.count(ext) != 0;
}

std::string stem_for(const fs::path& file, const fs::path& root) {
  fs::path rel = root.empty() ? file.filename() : fs::relative(file, root);
  rel.replace_extension();
  return rel.generic_string();
}

void add_file(SourceList& list, const fs::path& file, const fs::path& root, bool from_folder) {
  const std::string ext = lower_extension(file);
  MediaFile m;
  m.path = file.string();
  m.output_stem = stem_for(file, root);
  m.from_folder = from_folder;
  m.kind = is_video_ext(ext) ? MediaKind::kVideo
                             : (is_image_ext(ext) || from_folder ? MediaKind::kImage : MediaKind::kVideo);
  list.files.push_back(std::move(m));
}

void add_folder(SourceList& list, const fs::path& folder) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) list.errors.push_back(folder.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    if (f.filename().string().rfind('.', 0) == 0) continue; // hidden files (.DS_Store, ...)
    add_file(list, f, folder, true);
  }
}

} // namespace

SourceList expand_sources(const std::vector<std::string>& arguments) {
  SourceList list;
  for (const std::string& arg : arguments) {
    std::error_code ec;
    const fs::path p(arg);
    if (fs::is_directory(p, ec)) {
      add_folder(list, p);
    } else if (fs::exists(p, ec)) {
      add_file(list, p, {}, false);
    } else if (arg.find("://") != std::string::npos) {
      list.files.push_back({arg, "stream", MediaKind::kVideo, false});
    } else if (arg.find_first_of("*?[") != std::string::npos) {
      glob_t g{};
      if (glob(arg.c_str(), 0, nullptr, &g) == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i) {
          const fs::path match(g.gl_pathv[i]);
          if (fs::is_directory(match, ec)) {
            add_folder(list, match);
          } else {
            add_file(list, match, {}, false);
          }
        }
      } else {
        list.errors.push_back(arg + ": no file matches this pattern");
      }
      globfree(&g);
    } else {
      list.errors.push_back(arg + ": no such file or folder");
    }
  }
  return list;
}

} // namespace tilescope::cli
