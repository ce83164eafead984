// Expanding `tilescope detect SOURCE...` into the media files to process:
// files, folders (recursive, sorted), and glob patterns.
#pragma once

#include <string>
#include <vector>

namespace tilescope::cli {

enum class MediaKind { kImage, kVideo };

struct MediaFile {
  std::string path;
  std::string output_stem; // relative name for outputs, e.g. "sub/dir/photo"
  MediaKind kind = MediaKind::kImage;
  bool from_folder = false; // found by walking a folder (vs named on the command line)
};

struct SourceList {
  std::vector<MediaFile> files;
  std::vector<std::string> errors; // "path: reason" for arguments that match nothing
};

// Image extensions by the codecs OpenCV has here; everything else named
// explicitly is tried as a video. In folders, files with other extensions are
// still listed (as images) so that a stray non-image gets a clear error line.
SourceList expand_sources(const std::vector<std::string>& arguments);

} // namespace tilescope::cli
