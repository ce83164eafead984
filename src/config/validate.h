// Checks of values (ranges, names, URLs, polygons) shared by the YAML file and the API.
// Types and unknown keys are ValueReader's; these run on the typed structs.
#pragma once

#include "tilescope/config/config.h"

#include <string>
#include <vector>

namespace tilescope::config::detail {

// The text check of tiling::parse_slice_mode (off | adaptive | sahi-auto | WxH | N),
// kept here so config does not depend on the tiling module.
bool is_tiling_mode(const std::string& mode);

void validate_tiling(const TilingSettings& tiling, const std::string& path, std::vector<ConfigIssue>& issues);
// Server, model, storage, the tiling defaults and every camera (names unique), except
// the cameras listed in `skip_cameras` (entries that were not mappings: already reported).
void validate_config(const Config& config, const std::vector<std::size_t>& skip_cameras,
                     std::vector<ConfigIssue>& issues);

} // namespace tilescope::config::detail
