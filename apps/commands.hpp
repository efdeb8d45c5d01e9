// transaxx — the program's subcommands. Each file cmd_<area>.cpp adds its subcommands to the
// CLI11 app with a callback that does the work; main() maps errors to exit codes.
// Adding a command area: one file here, one line in main.cpp, one line in CMakeLists.txt.
#pragma once

#include <CLI/CLI.hpp>

namespace axx::app {

/// `characterize`, `library build`, `library list` (cmd_characterize.cpp).
void add_characterize_commands(CLI::App& app);

/// `hwgen` (cmd_hwgen.cpp).
void add_hwgen_commands(CLI::App& app);

/// `train`, `eval`, `sensitivity`, `finetune` (cmd_model.cpp); nothing without LibTorch.
void add_model_commands(CLI::App& app);

/// `layers`, `search` (cmd_search.cpp); nothing without LibTorch.
void add_search_commands(CLI::App& app);

/// `flow run | check | keys | stages` (cmd_flow.cpp).
void add_flow_commands(CLI::App& app);

}  // namespace axx::app
