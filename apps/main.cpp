// transaxx — the command-line program. Thin: the subcommands (commands.hpp) parse their
// arguments and call the libraries; main() maps errors to exit codes (1 failure, 2 bad usage).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <CLI/CLI.hpp>

#include "apps/commands.hpp"
#include "apps/hints.hpp"
#include "apps/option_ranges.hpp"
#include "common/error.hpp"

#ifndef AXX_VERSION
#define AXX_VERSION "0.0.0"
#endif

namespace {

/// LibTorch's OpenMP threads spin-wait between parallel regions by default; beside OpenBLAS's
/// own threads on a few cores that costs several times the work (measured on 2 cores: exact
/// 8-bit eval 44 instead of 778 images/s, fp32 397 instead of 1442). libgomp reads
/// OMP_WAIT_POLICY when it is loaded, before main(), so the model commands set it and re-exec
/// themselves once. A value the user set is kept.
void use_passive_openmp(int argc, char** argv) {
#ifdef AXX_HAVE_MODELS
  static const char* kTorchCommands[] = {"train", "eval", "sensitivity", "finetune", "layers", "search"};
  if (argc < 2 || std::getenv("OMP_WAIT_POLICY")) return;
  bool torch = false;
  for (const char* c : kTorchCommands) torch |= std::strcmp(argv[1], c) == 0;
  if (!torch) return;
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
#else
  (void)argc;
  (void)argv;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  use_passive_openmp(argc, argv);
  CLI::App app{"transaxx — approximate multipliers for Vision Transformers, from Verilog to accelerator.\n"
               "Characterize multipliers, emulate ViTs with them, search per-layer mixes, generate the accelerator;\n"
               "`transaxx flow run examples/demo/flow.toml` does all of it."};
  app.set_version_flag("--version", std::string("transaxx ") + AXX_VERSION);
  app.require_subcommand(1);
  axx::app::add_characterize_commands(app);
  axx::app::add_hwgen_commands(app);
  axx::app::add_model_commands(app);
  axx::app::add_search_commands(app);
  axx::app::add_flow_commands(app);
  axx::app::apply_option_ranges(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const axx::Error& e) {
    std::fprintf(stderr, "transaxx: error %s: %s\n", e.code().c_str(), e.what());
    if (const axx::app::Hint* h = axx::app::find_hint(e.code())) std::fprintf(stderr, "hint: %s\n", h->text);
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "transaxx: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
