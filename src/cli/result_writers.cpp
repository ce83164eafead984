#include "result_writers.h"

#include "tilescope/core/error.h"

#include <cmath>
#include <filesystem>

namespace tilescope::cli {
namespace {

namespace fs = std::filesystem;

// Three decimals are plenty for pixels and scores; JSON stays readable.
double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

std::string class_name(const std::vector<std::string>& names, int id) {
  return id >= 0 && static_cast<std::size_t>(id) < names.size() ? names[static_cast<std::size_t>(id)]
                                                                : "class" + std::to_string(id);
}

} // namespace

ResultWriters::ResultWriters(ResultOptions options, std::vector<std::string> class_names)
    : options_(std::move(options)), class_names_(std::move(class_names)) {
  if (options_.save_json) {
    const fs::path path = fs::path(options_.out_dir) / "results.jsonl";
    jsonl_.open(path);
    if (!jsonl_) throw Error(path.string() + ": cannot open for writing");
  }
}

nlohmann::json ResultWriters::to_json(const FrameResult& r, const std::vector<std::string>& class_names) {
  nlohmann::json boxes = nlohmann::json::array();
  for (const detect::Detection& d : *r.detections) {
    boxes.push_back({{"box", {round3(d.box.x1), round3(d.box.y1), round3(d.box.x2), round3(d.box.y2)}},
                     {"class_id", d.class_id},
                     {"class_name", class_name(class_names, d.class_id)},
                     {"score", round3(d.score)}});
  }
  nlohmann::json j = {{"source", r.source}, {"width", r.width}, {"height", r.height}};
  if (r.frame >= 0) {
    j["frame"] = r.frame;
    j["timestamp_s"] = std::round(r.timestamp_s * 1000.0) / 1000.0;
  }
  j["detections"] = std::move(boxes);
  return j;
}

std::int64_t ResultWriters::coco_image_id(const FrameResult& r) {
  // COCO's own files are named by their numeric id (000000397133.jpg): keep it.
  const std::string stem = fs::path(r.source).stem().string();
  if (r.frame < 0 && !stem.empty() && stem.size() < 18 &&
      std::all_of(stem.begin(), stem.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::stoll(stem);
  }
  return next_image_id_++;
}

void ResultWriters::add(const FrameResult& r) {
  if (jsonl_.is_open()) jsonl_ << to_json(r, class_names_).dump() << '\n';
  if (options_.save_txt) {
    std::string name = r.output_stem + (r.frame >= 0 ? "_" + std::to_string(r.frame) : "") + ".txt";
    const fs::path path = fs::path(options_.out_dir) / "labels" / name;
    fs::create_directories(path.parent_path());
    std::ofstream txt(path);
    if (!txt) throw Error(path.string() + ": cannot open for writing");
    // YOLO format: class cx cy w h, normalised to [0, 1] by the image size.
    for (const detect::Detection& d : *r.detections) {
      char line[160];
      std::snprintf(line, sizeof(line), "%d %.6f %.6f %.6f %.6f", d.class_id,
                    (d.box.x1 + d.box.x2) / 2 / r.width, (d.box.y1 + d.box.y2) / 2 / r.height,
                    d.box.width() / r.width, d.box.height() / r.height);
      txt << line;
      if (options_.save_conf) txt << ' ' << round3(d.score);
      txt << '\n';
    }
  }
  if (!options_.coco_path.empty()) {
    const std::int64_t image_id = coco_image_id(r);
    for (const detect::Detection& d : *r.detections) {
      coco_.push_back(
          {{"image_id", image_id},
           {"category_id", d.class_id},
           {"bbox", {round3(d.box.x1), round3(d.box.y1), round3(d.box.width()), round3(d.box.height())}},
           {"score", round3(d.score)},
           {"file_name", r.frame >= 0 ? r.source + "#" + std::to_string(r.frame) : r.source}});
    }
  }
}

void ResultWriters::finish() {
  if (jsonl_.is_open()) jsonl_.flush();
  if (options_.coco_path.empty()) return;
  const fs::path path(options_.coco_path);
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream out(path);
  if (!out) throw Error(path.string() + ": cannot open for writing");
  out << coco_.dump() << '\n';
}

} // namespace tilescope::cli
