// Reading and writing COCO instances and results files. Every check names the
// file, the field with its index and the offending value, so a user can fix a
// hand-made or converted dataset without a debugger.
#include "tilescope/core/error.h"
#include "tilescope/eval/coco.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace tilescope::eval {
namespace {

using nlohmann::json;

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(path + ": cannot open for writing");
  out << text;
  if (!out.flush()) throw Error(path + ": write failed");
}

json parse_json(std::string_view text, const std::string& source) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    // parse_error, or out_of_range for a number too large for a double (found by
    // fuzz/coco_json_fuzz.cpp). e.what() starts with "[json.exception.<kind>.<id>] ".
    std::string what = e.what();
    const auto pos = what.find("] ");
    throw Error(source + ": not valid JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2)));
  }
}

// A short rendering of a JSON value for messages.
std::string show(const json& v) {
  std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

// Field access with messages of the form "<source>: <where>.<key>: <problem>".
class FieldReader {
public:
  explicit FieldReader(const std::string& source) : source_(source) {}

  [[noreturn]] void fail(const std::string& where, const std::string& problem) const {
    throw Error(source_ + ": " + where + ": " + problem);
  }

  const json& require(const json& obj, const std::string& where, const char* key) const {
    auto it = obj.find(key);
    if (it == obj.end()) fail(where, std::string("missing required key '") + key + "'");
    return *it;
  }

  std::int64_t integer(const json& v, const std::string& where) const {
    if (v.is_number_integer()) {
      if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
        fail(where, "integer " + show(v) + " is too large");
      return v.get<std::int64_t>();
    }
    // Some writers emit ids as 3.0; accept integral floats, refuse the rest.
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9e15) return static_cast<std::int64_t>(d);
    }
    fail(where, "expected an integer, got " + show(v));
  }

  double number(const json& v, const std::string& where) const {
    if (!v.is_number()) fail(where, "expected a number, got " + show(v));
    return v.get<double>();
  }

  double non_negative(const json& v, const std::string& where) const {
    const double d = number(v, where);
    if (!(d >= 0)) fail(where, "must be >= 0, got " + show(v));
    return d;
  }

  // An image side in pixels: a non-negative number that fits an int.
  int pixels(const json& v, const std::string& where) const {
    const double d = non_negative(v, where);
    if (d > 1e9) fail(where, "must be at most 1e9 pixels, got " + show(v));
    return static_cast<int>(d);
  }

  bool flag(const json& v, const std::string& where) const {
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_number_integer() && (v.get<std::int64_t>() == 0 || v.get<std::int64_t>() == 1))
      return v.get<std::int64_t>() == 1;
    fail(where, "expected 0, 1, true or false, got " + show(v));
  }

  std::string string(const json& v, const std::string& where) const {
    if (!v.is_string()) fail(where, "expected a string, got " + show(v));
    return v.get<std::string>();
  }

  CocoBox bbox(const json& v, const std::string& where) const {
    if (!v.is_array() || v.size() != 4) fail(where, "expected [x, y, width, height], got " + show(v));
    for (const json& e : v)
      if (!e.is_number()) fail(where, "expected [x, y, width, height] (numbers), got " + show(v));
    CocoBox b{v[0].get<double>(), v[1].get<double>(), v[2].get<double>(), v[3].get<double>()};
    if (!(b.w >= 0 && b.h >= 0)) fail(where, "width and height must be >= 0, got " + show(v));
    return b;
  }

  const json& array(const json& root, const char* key) const {
    const json& v = require(root, "top level", key);
    if (!v.is_array()) fail(key, "expected an array, got " + std::string(v.type_name()));
    return v;
  }

  const json& object(const json& v, const std::string& where) const {
    if (!v.is_object()) fail(where, "expected an object, got " + show(v));
    return v;
  }

private:
  const std::string& source_;
};

std::string at(const char* array, std::size_t i) {
  return std::string(array) + "[" + std::to_string(i) + "]";
}

std::string at(const char* array, std::size_t i, const char* key) { return at(array, i) + "." + key; }

} // namespace

CocoBox to_coco_box(const detect::BoxXYXY& box) {
  return {box.x1, box.y1, static_cast<double>(box.x2) - box.x1, static_cast<double>(box.y2) - box.y1};
}

const CocoImage* CocoGroundTruth::find_image(std::int64_t id) const {
  for (const CocoImage& im : images)
    if (im.id == id) return &im;
  return nullptr;
}

const CocoCategory* CocoGroundTruth::find_category(std::int64_t id) const {
  for (const CocoCategory& c : categories)
    if (c.id == id) return &c;
  return nullptr;
}

CocoGroundTruth parse_coco_ground_truth(std::string_view json_text, const std::string& source) {
  const json root = parse_json(json_text, source);
  const FieldReader r(source);
  if (!root.is_object()) r.fail("top level", "expected a COCO instances object, got " + show(root));
  CocoGroundTruth gt;
  gt.source = source;

  std::unordered_set<std::int64_t> image_ids, category_ids, annotation_ids;
  const json& images = r.array(root, "images");
  for (std::size_t i = 0; i < images.size(); ++i) {
    const json& o = r.object(images[i], at("images", i));
    CocoImage im;
    im.id = r.integer(r.require(o, at("images", i), "id"), at("images", i, "id"));
    if (!image_ids.insert(im.id).second)
      r.fail(at("images", i, "id"), "image id " + std::to_string(im.id) + " is listed twice");
    if (auto it = o.find("file_name"); it != o.end())
      im.file_name = r.string(*it, at("images", i, "file_name"));
    if (auto it = o.find("width"); it != o.end()) im.width = r.pixels(*it, at("images", i, "width"));
    if (auto it = o.find("height"); it != o.end()) im.height = r.pixels(*it, at("images", i, "height"));
    gt.images.push_back(std::move(im));
  }

  const json& categories = r.array(root, "categories");
  for (std::size_t i = 0; i < categories.size(); ++i) {
    const json& o = r.object(categories[i], at("categories", i));
    CocoCategory c;
    c.id = r.integer(r.require(o, at("categories", i), "id"), at("categories", i, "id"));
    if (!category_ids.insert(c.id).second)
      r.fail(at("categories", i, "id"), "category id " + std::to_string(c.id) + " is listed twice");
    if (auto it = o.find("name"); it != o.end()) c.name = r.string(*it, at("categories", i, "name"));
    gt.categories.push_back(std::move(c));
  }

  const json& annotations = r.array(root, "annotations");
  gt.annotations.reserve(annotations.size());
  for (std::size_t i = 0; i < annotations.size(); ++i) {
    const std::string where = at("annotations", i);
    const json& o = r.object(annotations[i], where);
    CocoAnnotation a;
    a.id = static_cast<std::int64_t>(i) + 1;
    if (auto it = o.find("id"); it != o.end()) a.id = r.integer(*it, at("annotations", i, "id"));
    if (!annotation_ids.insert(a.id).second)
      r.fail(at("annotations", i, "id"), "annotation id " + std::to_string(a.id) + " is used twice");
    a.image_id = r.integer(r.require(o, where, "image_id"), at("annotations", i, "image_id"));
    if (!image_ids.count(a.image_id))
      r.fail(at("annotations", i, "image_id"),
             "image " + std::to_string(a.image_id) + " is not in the file's 'images'");
    a.category_id = r.integer(r.require(o, where, "category_id"), at("annotations", i, "category_id"));
    if (!category_ids.count(a.category_id))
      r.fail(at("annotations", i, "category_id"),
             "category " + std::to_string(a.category_id) + " is not in the file's 'categories'");
    a.bbox = r.bbox(r.require(o, where, "bbox"), at("annotations", i, "bbox"));
    // COCO ranks objects by the 'area' field (the mask area for COCO itself); a file
    // without it is taken to mean the box.
    a.area = a.bbox.w * a.bbox.h;
    if (auto it = o.find("area"); it != o.end()) a.area = r.non_negative(*it, at("annotations", i, "area"));
    if (auto it = o.find("iscrowd"); it != o.end()) a.iscrowd = r.flag(*it, at("annotations", i, "iscrowd"));
    if (auto it = o.find("ignore"); it != o.end()) a.ignore = r.flag(*it, at("annotations", i, "ignore"));
    gt.annotations.push_back(a);
  }
  return gt;
}

CocoGroundTruth load_coco_ground_truth(const std::string& path) {
  return parse_coco_ground_truth(read_text_file(path), path);
}

std::vector<CocoDetection> parse_coco_results(std::string_view json_text, const std::string& source,
                                              const CocoGroundTruth& gt) {
  const json root = parse_json(json_text, source);
  const FieldReader r(source);
  if (!root.is_array())
    r.fail("top level", "expected a JSON array of {image_id, category_id, bbox, score}, got " +
                            std::string(root.type_name()));
  std::unordered_set<std::int64_t> image_ids;
  for (const CocoImage& im : gt.images)
    image_ids.insert(im.id);

  std::vector<CocoDetection> dets;
  dets.reserve(root.size());
  std::vector<std::int64_t> unknown_ids; // distinct, in order of first use
  std::size_t unknown_count = 0, first_unknown = 0;
  std::unordered_set<std::int64_t> unknown_seen;
  for (std::size_t i = 0; i < root.size(); ++i) {
    const std::string where = "[" + std::to_string(i) + "]";
    const json& o = r.object(root[i], where);
    CocoDetection d;
    d.image_id = r.integer(r.require(o, where, "image_id"), where + ".image_id");
    d.category_id = r.integer(r.require(o, where, "category_id"), where + ".category_id");
    d.bbox = r.bbox(r.require(o, where, "bbox"), where + ".bbox");
    d.score = r.number(r.require(o, where, "score"), where + ".score");
    if (!image_ids.count(d.image_id)) {
      if (unknown_count++ == 0) first_unknown = i;
      if (unknown_seen.insert(d.image_id).second) unknown_ids.push_back(d.image_id);
    }
    dets.push_back(d);
  }
  if (unknown_count > 0) {
    std::string ids;
    for (std::size_t i = 0; i < unknown_ids.size() && i < 10; ++i)
      ids += (i ? ", " : "") + std::to_string(unknown_ids[i]);
    if (unknown_ids.size() > 10) ids += ", ... (" + std::to_string(unknown_ids.size()) + " ids)";
    throw Error(source + ": " + std::to_string(unknown_count) + " detection" +
                (unknown_count == 1 ? "" : "s") + " (first at [" + std::to_string(first_unknown) + "]) " +
                (unknown_count == 1 ? "refers" : "refer") + " to image ids not in " + gt.source + ": " + ids);
  }
  return dets;
}

std::vector<CocoDetection> load_coco_results(const std::string& path, const CocoGroundTruth& gt) {
  return parse_coco_results(read_text_file(path), path, gt);
}

std::string coco_ground_truth_to_json(const CocoGroundTruth& gt) {
  json images = json::array(), annotations = json::array(), categories = json::array();
  for (const CocoImage& im : gt.images) {
    json o = {{"id", im.id}};
    if (!im.file_name.empty()) o["file_name"] = im.file_name;
    if (im.width > 0) o["width"] = im.width;
    if (im.height > 0) o["height"] = im.height;
    images.push_back(std::move(o));
  }
  for (const CocoAnnotation& a : gt.annotations) {
    annotations.push_back({{"id", a.id},
                           {"image_id", a.image_id},
                           {"category_id", a.category_id},
                           {"bbox", {a.bbox.x, a.bbox.y, a.bbox.w, a.bbox.h}},
                           {"area", a.area},
                           {"iscrowd", a.iscrowd ? 1 : 0}});
  }
  for (const CocoCategory& c : gt.categories)
    categories.push_back({{"id", c.id}, {"name", c.name}});
  return json{{"images", images}, {"annotations", annotations}, {"categories", categories}}.dump();
}

void save_coco_ground_truth(const std::string& path, const CocoGroundTruth& gt) {
  write_text_file(path, coco_ground_truth_to_json(gt));
}

std::string coco_results_to_json(const std::vector<CocoDetection>& detections) {
  json out = json::array();
  for (const CocoDetection& d : detections) {
    out.push_back({{"image_id", d.image_id},
                   {"category_id", d.category_id},
                   {"bbox", {d.bbox.x, d.bbox.y, d.bbox.w, d.bbox.h}},
                   {"score", d.score}});
  }
  return out.dump();
}

void save_coco_results(const std::string& path, const std::vector<CocoDetection>& detections) {
  write_text_file(path, coco_results_to_json(detections));
}

} // namespace tilescope::eval
