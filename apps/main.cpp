// transaxx — the command-line program. Thin: parses arguments, calls the libraries, prints,
// and maps errors to exit codes (1 failure, 2 bad usage).
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/error.hpp"
#include "common/json.hpp"
#include "flows/characterize.hpp"
#include "flows/library.hpp"
#include "flows/liberty.hpp"

#ifndef AXX_VERSION
#define AXX_VERSION "0.0.0"
#endif

namespace {

using namespace axx;
namespace fs = std::filesystem;

// Options shared by `characterize` and `library build`: technology, clock and stimulus.
void add_tech_options(CLI::App* cmd, flows::CharacterizeOptions& o, std::string& liberty) {
  cmd->add_option("--liberty", liberty, "Liberty standard-cell library for synthesis, timing and power")
      ->default_str(flows::default_liberty_path().string());
  cmd->add_option("--clock-mhz", o.clock_mhz, "clock frequency for power, one multiplication per cycle")
      ->default_val(o.clock_mhz);
  cmd->add_option("--stimulus", o.stimulus,
                  "operands driving the power simulation: 'uniform' (random pairs) or a 256x256 .npy histogram "
                  "of (activation, weight) pairs")
      ->default_val(o.stimulus);
  cmd->add_option("--vectors", o.vectors, "operand pairs simulated for power (>= 10000)")->default_val(o.vectors);
  cmd->add_option("--seed", o.seed, "random seed of the stimulus")->default_val(o.seed);
  cmd->add_flag("--force", o.force, "rebuild even when an up-to-date record exists");
}

std::vector<std::pair<std::string, std::string>> parse_params(const std::vector<std::string>& raw) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : raw) {
    const size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == p.size()) {
      throw UsageError("CLI-001", fmt::format("--param {}: expected NAME=VALUE, e.g. --param K=4", p));
    }
    out.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  return out;
}

int run(int argc, char** argv) {
  CLI::App app{"transaxx — approximate multipliers for Vision Transformers, from Verilog to accelerator.\n"
               "Characterize multipliers with Yosys and Verilator, build libraries of them."};
  app.set_version_flag("--version", std::string("transaxx ") + AXX_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  // characterize
  flows::CharacterizeOptions ch;
  std::string ch_liberty, ch_out = "runs/characterize";
  std::vector<std::string> ch_files, ch_params;
  bool ch_signed = false, ch_unsigned = false, ch_json = false;
  auto* c = app.add_subcommand("characterize",
                               "Characterize multipliers from Verilog: exhaustive LUT (Verilator, RTL and gate level), "
                               "error metrics, area, delay and power (Yosys + ABC on standard cells)");
  c->add_option("files", ch_files, "Verilog files of one multiplier (submodules may be in further files)")
      ->required();
  c->add_option("--top", ch.design.top, "module to characterize (default: the only top-level module)");
  c->add_flag("--signed", ch_signed, "operands and product are two's complement");
  c->add_flag("--unsigned", ch_unsigned, "operands and product are unsigned");
  c->add_option("--a", ch.design.port_a, "input port of operand A, the activation (default: first input)");
  c->add_option("--b", ch.design.port_b, "input port of operand B, the weight (default: second input)");
  c->add_option("--param", ch_params, "override a Verilog parameter of the top module, NAME=VALUE (repeatable)");
  c->add_option("--name", ch.name, "record name (default: the top module's name)");
  c->add_option("--out", ch_out, "output folder for <name>.json, <name>.npy, <name>.error.svg")->default_str(ch_out);
  c->add_flag("--json", ch_json, "print the record as JSON instead of a summary");
  add_tech_options(c, ch, ch_liberty);

  // library
  auto* lib = app.add_subcommand("library", "Build and inspect multiplier libraries");
  lib->require_subcommand(1);
  flows::LibraryBuildOptions lb;
  std::string lb_liberty, lb_out = "runs/library";
  std::vector<std::string> lb_inputs;
  bool lb_json = false;
  auto* build = lib->add_subcommand("build", "Characterize every multiplier found (default: the built-in catalog) "
                                             "in parallel and incrementally; writes library.json/.csv/.svg");
  build->add_option("inputs", lb_inputs, "Verilog files or folders of them (one multiplier per file)");
  build->add_option("--out", lb_out, "library folder")->default_str(lb_out);
  build->add_option("-j,--jobs", lb.jobs, "multipliers characterized at once")->default_val(lb.jobs);
  build->add_flag("--json", lb_json, "print library.json instead of a table");
  add_tech_options(build, lb.tech, lb_liberty);
  std::string ls_dir = "runs/library";
  bool ls_json = false;
  auto* list = lib->add_subcommand("list", "Print a library's multipliers as a table");
  list->add_option("dir", ls_dir, "library folder")->default_str(ls_dir);
  list->add_flag("--json", ls_json, "print library.json");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (c->parsed()) {
    if (ch_signed && ch_unsigned) throw UsageError("CLI-002", "--signed and --unsigned exclude each other");
    if (ch_signed) ch.is_signed = true;
    if (ch_unsigned) ch.is_signed = false;
    for (const auto& f : ch_files) ch.design.files.emplace_back(f);
    ch.design.params = parse_params(ch_params);
    ch.liberty = ch_liberty;
    ch.out_dir = ch_out;
    const flows::CharacterizeResult r = flows::characterize(ch);
    if (ch_json) {
      std::cout << r.record.dump(2) << "\n";
    } else {
      std::cout << flows::format_record_summary(r.record);
      std::cout << fmt::format("  record  {}{}\n", r.record_path.string(), r.reused ? " (up to date, reused)" : "");
    }
    return 0;
  }
  if (build->parsed()) {
    for (const auto& i : lb_inputs) lb.inputs.emplace_back(i);
    lb.tech.liberty = lb_liberty;
    lb.out_dir = lb_out;
    const flows::LibraryBuildResult r = flows::build_library(lb);
    if (lb_json) {
      std::cout << r.library.dump(2) << "\n";
    } else {
      std::cout << flows::format_library_table(r.library);
      std::cout << fmt::format("{} built, {} up to date, {} failed in {:.1f} s; library in {}\n", r.built, r.reused,
                               r.failures.size(), r.seconds, lb_out);
    }
    if (!r.failures.empty()) {
      std::string msg = fmt::format("{} multiplier(s) failed:", r.failures.size());
      for (const auto& f : r.failures) msg += "\n  " + f;
      throw Error("LIBR-004", msg);
    }
    return 0;
  }
  if (list->parsed()) {
    const Json l = flows::load_library_index(ls_dir);
    std::cout << (ls_json ? l.dump(2) + "\n" : flows::format_library_table(l));
    return 0;
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const axx::Error& e) {
    std::fprintf(stderr, "transaxx: error %s: %s\n", e.code().c_str(), e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "transaxx: internal error: %s\n", e.what());
    return 1;
  }
}
