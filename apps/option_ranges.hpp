// transaxx — the range of every numeric command-line option, in one table.
//
// Options that mean the same thing are named alike in every command (apps/model_options.hpp), so
// one row per option name serves all commands. apply_option_ranges() attaches each row's check to
// every option of that name, in every command: a value outside its range is a usage error (exit
// status 2) naming the option and the range, before any work starts, and `--help` shows the range
// (`INT:in [1, 256]`). tests/apps/test_cli walks every command's --help: each numeric option shows
// a range, and a value just outside it exits 2 naming it.
#pragma once

#include <CLI/CLI.hpp>

namespace axx::app {

/// Attaches the range checks to every option of `app` and its subcommands, recursively; options
/// whose long name has no row are left as they are (seeds: any value of their type).
void apply_option_ranges(CLI::App& app);

}  // namespace axx::app
