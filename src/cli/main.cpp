// tilescope: one binary, one subcommand per job.
#include "commands.h"
#include "tilescope/core/error.h"

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"tilescope: real-time small-object detection with sliced inference on the CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tilescope 0.1.0");
  tilescope::cli::add_model_commands(app);
  tilescope::cli::add_bench_commands(app);
  tilescope::cli::add_detect_command(app);
  tilescope::cli::add_eval_commands(app);
  tilescope::cli::add_tiles_command(app);
  tilescope::cli::add_serve_command(app);
  tilescope::cli::add_verify_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code(); // the command already reported what failed
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const tilescope::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
