// Subcommand registration for the tilescope binary. Each add_* function adds one
// command family to the app; the callbacks throw tilescope::Error on failure,
// which main() turns into "error: ..." and exit code 1.
#pragma once

#include <CLI/CLI.hpp>

namespace tilescope::cli {

void add_model_commands(CLI::App& app); // model inspect | model run
void add_bench_commands(CLI::App& app); // bench model
void add_detect_command(CLI::App& app); // detect
void add_eval_commands(CLI::App& app);  // eval
void add_tiles_command(CLI::App& app);  // tiles
void add_serve_command(CLI::App& app);  // serve
void add_verify_command(CLI::App& app); // verify

} // namespace tilescope::cli
