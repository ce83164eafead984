#include "detect_options.h"

#include "http/api_error.h"

#include <algorithm>

namespace tilescope::server {
namespace {

void set_slice(const std::string& text, DetectOptions& options) {
  try {
    tiling::parse_slice_mode(text, options.slice);
  } catch (const Error& e) {
    throw ApiError::bad_request(std::string("slice: ") + e.what(), "slice");
  }
}

void check_classes(const std::vector<std::string>& classes, const std::vector<std::string>& class_names) {
  for (const std::string& name : classes) {
    if (std::find(class_names.begin(), class_names.end(), name) == class_names.end()) {
      throw ApiError::bad_request("classes: the model has no class '" + name.substr(0, 60) +
                                      "' (GET /api/v1/classes lists them)",
                                  "classes");
    }
  }
}

// Throws 400 naming `key` when `value` is not a number in [min, max].
double number_in(const nlohmann::json& value, const std::string& key, double min, double max) {
  if (!value.is_number() || value.get<double>() < min || value.get<double>() > max) {
    throw ApiError::bad_request(key + ": expected a number in [" + nlohmann::json(min).dump() + ", " +
                                    nlohmann::json(max).dump() + "]",
                                key);
  }
  return value.get<double>();
}

} // namespace

DetectOptions detect_options_from_query(const QueryParams& query,
                                        const std::vector<std::string>& class_names) {
  DetectOptions options;
  if (auto slice = query.get("slice")) set_slice(*slice, options);
  // SAHI's ratios: [0, 1); 0.95 keeps tiles from degenerating into a tile per pixel.
  if (auto overlap = query.get_double("overlap", 0, 0.95)) options.slice.overlap = *overlap;
  if (auto min_object = query.get_int("min_object", 1, 10000))
    options.slice.min_object_px = static_cast<int>(*min_object);
  if (auto budget = query.get_double("budget_ms", 0, 60000)) options.slice.budget_ms = *budget;
  if (auto full_frame = query.get_bool("full_frame")) options.slice.full_frame = *full_frame;
  if (auto conf = query.get_double("conf", 0, 1)) options.confidence = static_cast<float>(*conf);
  if (auto iou = query.get_double("iou", 0, 1)) options.iou = static_cast<float>(*iou);
  options.classes = query.get_list("classes");
  check_classes(options.classes, class_names);
  return options;
}

void apply_detect_options_json(const nlohmann::json& body, const std::vector<std::string>& other_keys,
                               const std::vector<std::string>& class_names, DetectOptions& options) {
  for (const auto& [key, value] : body.items()) {
    if (std::find(other_keys.begin(), other_keys.end(), key) != other_keys.end()) continue;
    if (key == "slice") {
      if (!value.is_string())
        throw ApiError::bad_request("slice: expected a string such as \"adaptive\"", "slice");
      set_slice(value.get<std::string>(), options);
    } else if (key == "overlap") {
      options.slice.overlap = number_in(value, key, 0, 0.95);
    } else if (key == "min_object") {
      options.slice.min_object_px = static_cast<int>(number_in(value, key, 1, 10000));
    } else if (key == "budget_ms") {
      options.slice.budget_ms = number_in(value, key, 0, 60000);
    } else if (key == "full_frame") {
      if (!value.is_boolean()) throw ApiError::bad_request("full_frame: expected true or false", key);
      options.slice.full_frame = value.get<bool>();
    } else if (key == "conf") {
      options.confidence = static_cast<float>(number_in(value, key, 0, 1));
    } else if (key == "iou") {
      options.iou = static_cast<float>(number_in(value, key, 0, 1));
    } else if (key == "classes") {
      options.classes.clear();
      if (!value.is_array()) throw ApiError::bad_request("classes: expected an array of class names", key);
      for (const auto& item : value) {
        if (!item.is_string()) throw ApiError::bad_request("classes: expected an array of class names", key);
        options.classes.push_back(item.get<std::string>());
      }
      check_classes(options.classes, class_names);
    } else {
      throw ApiError::bad_request(key.substr(0, 60) + ": unknown key", key.substr(0, 60));
    }
  }
}

} // namespace tilescope::server
