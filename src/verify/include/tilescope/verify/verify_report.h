// Output of `tilescope verify`: text for the terminal, JSON, and an HTML report
// folder (index.html, report.json and the per-layer error chart, drawn with
// tilescope_eval's plotting so it needs nothing but a browser).
#pragma once

#include "tilescope/verify/verifier.h"

#include <filesystem>
#include <string>

namespace tilescope::verify {

// Summary, worst `worst` nodes by budget use, outputs, detections, verdict and
// the first node beyond budget.
std::string format_text(const VerifyResult& result, int worst = 10);

// The whole result as JSON text (every node with its metrics and budget).
std::string result_json(const VerifyResult& result);

// Writes dir/report.json, dir/errors.png (relative RMSE and max relative error
// per node in topological order, log scale, with the budget) and dir/index.html
// (facts, verdict, chart, worst layers, outputs, detections, every node).
// Creates dir; returns the HTML path. Throws Error when a file cannot be written.
std::filesystem::path write_report(const std::filesystem::path& dir, const VerifyResult& result,
                                   int worst = 15);

} // namespace tilescope::verify
