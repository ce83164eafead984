// `tilescope tiles`: prints (and draws) the slice plan for a frame size, without
// running any detection: what `detect --slice ...` would cut a frame into.
#include "commands.h"
#include "default_model.h"
#include "slice_options.h"
#include "tilescope/core/error.h"
#include "tilescope/detect/detector.h"
#include "tilescope/tiling/plan_drawing.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

namespace tilescope::cli {
namespace {

struct TilesArgs {
  std::string size, input, model, draw, out;
  int imgsz = 640;
  double full_frame_ms = 0, tile_ms = 0;
  bool json = false;
  SliceArgs slice;
};

cv::Size parse_size(const std::string& flag, const std::string& text) {
  tiling::SliceOptions probe;
  try {
    tiling::parse_slice_mode(text, probe);
  } catch (const Error&) {
    probe.mode = tiling::SliceMode::kOff;
  }
  if (probe.mode != tiling::SliceMode::kFixed) {
    throw Error(flag + " " + text + ": expected WxH in pixels, e.g. 1920x1080");
  }
  return {probe.slice_width, probe.slice_height};
}

// The model's input size: --input, else the model (loaded, not run) and its --imgsz.
cv::Size model_input(const TilesArgs& a, std::string& source) {
  if (!a.input.empty()) {
    source = "--input";
    return parse_size("--input", a.input);
  }
  detect::DetectorOptions options;
  options.input_size = a.imgsz;
  options.session.backend = engine::Backend::kReference; // nothing runs: skip oneDNN's compile
  source = a.model.empty() ? default_model_path() : a.model;
  return detect::Detector::open(source, options).input_size();
}

nlohmann::ordered_json plan_json(const tiling::SlicePlan& plan, cv::Size frame, cv::Size input) {
  nlohmann::ordered_json tiles = nlohmann::ordered_json::array();
  for (const tiling::TileRect& t : plan.tiles)
    tiles.push_back({t.x1, t.y1, t.x2, t.y2});
  nlohmann::ordered_json j;
  j["tiles"] = std::move(tiles);
  j["full_frame"] = plan.full_frame;
  j["frame"] = {frame.width, frame.height};
  j["model_input"] = {input.width, input.height};
  j["reason"] = plan.reason;
  if (plan.predicted_ms > 0) j["predicted_ms"] = plan.predicted_ms;
  if (plan.min_object_px > 0) {
    j["min_object_px"] = plan.min_object_px;
    j["min_overlap_px"] = {plan.min_overlap_px.width, plan.min_overlap_px.height};
  }
  return j;
}

void print_plan(const tiling::SlicePlan& plan, cv::Size frame, cv::Size input, const std::string& source) {
  std::printf("frame %dx%d, model input %dx%d (%s)\n", frame.width, frame.height, input.width, input.height,
              source.c_str());
  std::printf("%s\n", plan.reason.c_str());
  for (std::size_t i = 0; i < plan.tiles.size(); ++i) {
    const tiling::TileRect& t = plan.tiles[i];
    std::printf("tile %3zu  [%d, %d, %d, %d]  %dx%d\n", i + 1, t.x1, t.y1, t.x2, t.y2, t.width(), t.height());
  }
  std::printf("full frame: %s\n", plan.full_frame ? "yes" : "no");
  const std::size_t views = plan.views();
  std::printf("%zu engine run%s per frame", views, views == 1 ? "" : "s");
  if (plan.predicted_ms > 0) std::printf(", predicted %.1f ms", plan.predicted_ms);
  std::printf("\n");
}

void run_tiles(const TilesArgs& a) {
  if (!a.draw.empty() && a.out.empty()) throw Error("--draw " + a.draw + ": needs --out FILE.png");
  cv::Mat frame_image;
  if (!a.draw.empty()) {
    if (!std::filesystem::is_regular_file(a.draw)) throw Error("--draw " + a.draw + ": no such file");
    frame_image = cv::imread(a.draw, cv::IMREAD_COLOR);
    if (frame_image.empty()) throw Error("--draw " + a.draw + ": not a readable image");
  }
  cv::Size frame;
  if (!a.size.empty()) {
    frame = parse_size("--size", a.size);
  } else if (!frame_image.empty()) {
    frame = frame_image.size();
  } else {
    throw Error("--size WxH is required (or --draw FRAME to take the frame's size)");
  }
  if (a.full_frame_ms < 0 || a.tile_ms < 0) throw Error("--full-frame-ms and --tile-ms must be >= 0");

  const tiling::SliceOptions slice = to_slice_options(a.slice);
  to_merge_options(a.slice); // the merge flags are checked here too, though nothing merges
  std::string source;
  const cv::Size input = model_input(a, source);
  tiling::PlannerContext context = tiling::PlannerContext::for_input(input);
  context.full_frame_ms = a.full_frame_ms;
  context.per_tile_ms = a.tile_ms;
  const tiling::SlicePlan plan = tiling::plan_slices(frame, slice, context);

  if (a.json) {
    std::cout << plan_json(plan, frame, input).dump() << "\n";
  } else {
    print_plan(plan, frame, input, source);
  }
  if (!a.out.empty()) {
    const cv::Mat picture = tiling::draw_plan(frame_image, frame, plan);
    const std::filesystem::path out(a.out);
    if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
    bool written = false;
    try {
      written = cv::imwrite(a.out, picture);
    } catch (const cv::Exception& e) {
      throw Error("--out " + a.out + ": " + e.what());
    }
    if (!written) throw Error("--out " + a.out + ": cannot write (unknown extension or unwritable folder)");
    if (!a.json) std::printf("drawn to %s\n", a.out.c_str());
  }
}

} // namespace

void add_tiles_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("tiles", "Print (and draw) the slice plan for a frame size, without detecting");
  static TilesArgs a;
  a.slice.slice = "adaptive"; // the planner worth looking at; --slice off shows the full frame
  cmd->add_option("--size", a.size, "Frame size WxH, e.g. 1920x1080 (default: the --draw frame's size)");
  cmd->add_option("--model", a.model,
                  "Model whose input size the tiles are planned for (default: NanoDet-m)");
  cmd->add_option("--input", a.input, "Model input size WxH instead of a model (e.g. 640x640)");
  cmd->add_option("--imgsz", a.imgsz, "Input size for models with a dynamic input")
      ->check(CLI::Range(32, 8192));
  cmd->add_option("--full-frame-ms", a.full_frame_ms, "Cost of a full-frame pass, for --budget-ms");
  cmd->add_option("--tile-ms", a.tile_ms, "Cost of one tile, for --budget-ms");
  cmd->add_flag("--json", a.json,
                R"(One JSON object: {"tiles": [[x1, y1, x2, y2], ...], "full_frame": ...})");
  cmd->add_option("--draw", a.draw, "Draw the tiles over this image (resized to --size)");
  cmd->add_option("--out", a.out, "Where the drawing goes (PNG or JPEG); without --draw, over a grey frame");
  add_slice_options(cmd, a.slice);
  cmd->callback([] { run_tiles(a); });
}

} // namespace tilescope::cli
