// Readers of the camera and tiling sections, shared by the YAML file (parse.cpp) and the
// camera JSON of the HTTP API (camera_json.cpp): one reader, two dialects.
#pragma once

#include "value_reader.h"

namespace tilescope::config::detail {

// Reads a tiling mapping; keys it does not hold keep the values of `base`.
TilingSettings read_tiling(ValueReader& reader, const nlohmann::json& value, const std::string& path,
                           const TilingSettings& base);

// Reads one camera (types and unknown keys only: validate_camera checks the values).
// A `tiling` mapping starts from `tiling_base`; keys in `ignored` are accepted and skipped.
CameraConfig read_camera(ValueReader& reader, const nlohmann::json& value, const std::string& path,
                         const TilingSettings& tiling_base, Keys ignored = {});

} // namespace tilescope::config::detail
