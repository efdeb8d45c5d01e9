// transaxx — the command-line program. Thin: the subcommands (commands.hpp) parse their
// arguments and call the libraries; main() maps errors to exit codes (1 failure, 2 bad usage).
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "apps/commands.hpp"
#include "common/error.hpp"

#ifndef AXX_VERSION
#define AXX_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  CLI::App app{"transaxx — approximate multipliers for Vision Transformers, from Verilog to accelerator.\n"
               "Characterize multipliers with Yosys and Verilator, build libraries of them."};
  app.set_version_flag("--version", std::string("transaxx ") + AXX_VERSION);
  app.require_subcommand(1);
  axx::app::add_characterize_commands(app);
  axx::app::add_hwgen_commands(app);
  axx::app::add_model_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const axx::Error& e) {
    std::fprintf(stderr, "transaxx: error %s: %s\n", e.code().c_str(), e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "transaxx: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
