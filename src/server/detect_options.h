// Slicing and detection options from a request (POST /api/v1/detect, POST /api/v1/jobs):
//   slice=off|adaptive|sahi-auto|WxH  overlap=0.2  min_object=16  budget_ms=40
//   full_frame=true|false  conf=0.25  iou=0.45  classes=person,car
// Every value is checked; a bad one is ApiError 400 naming the parameter.
#pragma once

#include "http/query_params.h"
#include "tilescope/tiling/merge.h"
#include "tilescope/tiling/plan.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tilescope::server {

struct DetectOptions {
  tiling::SliceOptions slice; // default: off (the whole image once), like `tilescope detect`
  tiling::MergeOptions merge;
  float confidence = 0.25f;
  float iou = 0.45f;
  std::vector<std::string> classes; // empty: every class
};

// From query parameters. `class_names`: the model's, to check `classes` against.
DetectOptions detect_options_from_query(const QueryParams& query,
                                        const std::vector<std::string>& class_names);

// The same keys in a JSON object (jobs: {"path": ..., "slice": "adaptive", "conf": 0.3,
// "classes": ["person"]}), on top of `options`. Unknown keys are an error naming them,
// except those in `other_keys`.
void apply_detect_options_json(const nlohmann::json& body, const std::vector<std::string>& other_keys,
                               const std::vector<std::string>& class_names, DetectOptions& options);

} // namespace tilescope::server
