// transaxx characterize / library build / library list.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "apps/commands.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "characterize/characterize.hpp"
#include "eda/liberty.hpp"
#include "characterize/library.hpp"
#include "mpi/mpi.hpp"

namespace axx::app {

namespace {

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

/// `--signed` and `--unsigned` together (characterize, library build).
void check_signedness_flags(bool is_signed, bool is_unsigned) {
  if (is_signed && is_unsigned) throw UsageError("CLI-002", "--signed and --unsigned exclude each other");
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

struct CharacterizeArgs {
  flows::CharacterizeOptions options;
  std::string liberty, out = "runs/characterize";
  std::vector<std::string> files, params;
  bool is_signed = false, is_unsigned = false, json = false;
};

struct LibraryArgs {
  flows::LibraryBuildOptions options;
  std::string liberty, out = "runs/library", list_dir = "runs/library";
  std::vector<std::string> inputs;
  bool json = false, list_json = false, list_families = false, is_signed = false, is_unsigned = false;
};

}  // namespace

void add_characterize_commands(CLI::App& app) {
  auto ch = std::make_shared<CharacterizeArgs>();
  auto* c = app.add_subcommand("characterize",
                               "Characterize multipliers from Verilog: exhaustive LUT (Verilator, RTL and gate level), "
                               "error metrics, area, delay and power (Yosys + ABC on standard cells)");
  c->add_option("files", ch->files, "Verilog files of one multiplier (submodules may be in further files)")
      ->required();
  c->add_option("--top", ch->options.design.top, "module to characterize (default: the only top-level module)");
  c->add_flag("--signed", ch->is_signed, "operands and product are two's complement");
  c->add_flag("--unsigned", ch->is_unsigned, "operands and product are unsigned");
  c->add_option("--a", ch->options.design.port_a, "input port of operand A, the activation (default: first input)");
  c->add_option("--b", ch->options.design.port_b, "input port of operand B, the weight (default: second input)");
  c->add_option("--param", ch->params, "override a Verilog parameter of the top module, NAME=VALUE (repeatable)");
  c->add_option("--name", ch->options.name, "record name (default: the top module's name)");
  c->add_option("--out", ch->out, "output folder for <name>.json, <name>.npy, <name>.error.svg")
      ->default_str(ch->out);
  c->add_flag("--json", ch->json, "print the record as JSON instead of a summary");
  add_tech_options(c, ch->options, ch->liberty);
  c->callback([ch] {
    auto& o = ch->options;
    check_signedness_flags(ch->is_signed, ch->is_unsigned);
    if (ch->is_signed) o.is_signed = true;
    if (ch->is_unsigned) o.is_signed = false;
    for (const auto& f : ch->files) o.design.files.emplace_back(f);
    o.design.params = parse_params(ch->params);
    o.liberty = ch->liberty;
    o.out_dir = ch->out;
    const flows::CharacterizeResult r = flows::characterize(o);
    if (ch->json) {
      std::cout << r.record.dump(2) << "\n";
    } else {
      std::cout << flows::format_record_summary(r.record);
      std::cout << fmt::format("  record  {}{}\n", r.record_path.string(), r.reused ? " (up to date, reused)" : "");
    }
  });

  auto lb = std::make_shared<LibraryArgs>();
  auto* lib = app.add_subcommand("library", "Build and inspect multiplier libraries");
  lib->require_subcommand(1);
  auto* build = lib->add_subcommand("build",
                                    "Characterize every multiplier found (default: the built-in catalog) in parallel "
                                    "and incrementally; writes library.json/.csv/.svg");
  build->add_option("inputs", lb->inputs,
                    "Verilog files, folders of them (one multiplier per file) or catalog .csv files");
  build->add_option("--out", lb->out, "library folder")->default_str(lb->out);
  build->add_option("-j,--jobs", lb->options.jobs, "multipliers characterized at once")->default_val(lb->options.jobs);
  build->add_option("--only", lb->options.only, "keep only these multipliers of the inputs (names, e.g. exact_s8 bam_s8_v4)");
  build->add_flag("--json", lb->json, "print library.json instead of a table");
  build->add_flag("--signed", lb->is_signed,
                  "treat the given files as two's complement (default: from `signed` ports or names like "
                  "mul8s_* / *_s8_*; catalog lines carry their own)");
  build->add_flag("--unsigned", lb->is_unsigned, "treat the given files as unsigned");
  add_tech_options(build, lb->options.tech, lb->liberty);
  build->callback([lb] {
    auto& o = lb->options;
    check_signedness_flags(lb->is_signed, lb->is_unsigned);
    if (lb->is_signed) o.tech.is_signed = true;
    if (lb->is_unsigned) o.tech.is_signed = false;
    for (const auto& i : lb->inputs) o.inputs.emplace_back(i);
    o.tech.liberty = lb->liberty;
    o.out_dir = lb->out;
    const flows::LibraryBuildResult r = flows::build_library(o);
    if (!mpi::is_root()) return;  // under mpirun rank 0 merges and reports
    if (lb->json) {
      std::cout << r.library.dump(2) << "\n";
    } else {
      std::cout << flows::format_library_table(r.library);
      std::cout << fmt::format("{} built, {} up to date, {} failed in {:.1f} s; library in {}\n", r.built, r.reused,
                               r.failures.size(), r.seconds, lb->out);
    }
    flows::check_build_failures(r);
  });
  auto* list = lib->add_subcommand("list", "Print a library's multipliers as a table");
  list->add_option("dir", lb->list_dir, "library folder")->default_str(lb->list_dir);
  list->add_flag("--json", lb->list_json, "print library.json");
  list->add_flag("--families", lb->list_families,
                 "print one Markdown row per family: its Pareto-optimal instance saving the most power");
  list->callback([lb] {
    const Json l = flows::load_library_index(lb->list_dir);
    if (lb->list_families) {
      std::cout << flows::format_family_table(l);
      return;
    }
    std::cout << (lb->list_json ? l.dump(2) + "\n" : flows::format_library_table(flows::with_error_stats(lb->list_dir, l)));
    // Say so when an entry cannot be used as it is (the table shows what the records claim).
    int bad = 0;
    for (const flows::EntryCheck& c : flows::check_library(lb->list_dir)) {
      if (c.status == "ok") continue;
      ++bad;
      std::cerr << fmt::format("warning: {} is {}: {}\n", c.name, c.status, c.detail);
    }
    if (bad > 0) std::cerr << fmt::format("warning: {} entr{} not usable as listed; `transaxx library check` "
                                          "lists them\n", bad, bad == 1 ? "y is" : "ies are");
  });
  auto* check = lib->add_subcommand(
      "check", "Check every multiplier of a library: its table is the one characterized (SHA-256), its "
               "Verilog is unchanged; exit 1 naming each stale or corrupted entry");
  check->add_option("dir", lb->list_dir, "library folder")->default_str(lb->list_dir);
  check->add_flag("--json", lb->list_json, "print the result per multiplier as JSON");
  check->callback([lb] {
    const std::vector<flows::EntryCheck> checks = flows::check_library(lb->list_dir);
    int bad = 0;
    Json j = Json::array();
    for (const flows::EntryCheck& c : checks) {
      bad += c.status != "ok";
      j.push_back({{"name", c.name}, {"status", c.status}, {"detail", c.detail}});
      if (!lb->list_json) {
        std::cout << fmt::format("{:<28} {}{}\n", c.name, c.status, c.detail.empty() ? "" : ": " + c.detail);
      }
    }
    if (lb->list_json) std::cout << j.dump(2) << "\n";
    if (bad > 0) {
      throw Error("CLI-008", fmt::format("{} of {} multipliers in {} are stale or corrupted; rebuild them with "
                                         "`transaxx library build`",
                                         bad, checks.size(), lb->list_dir));
    }
    if (!lb->list_json) std::cout << fmt::format("{} multipliers, all usable\n", checks.size());
  });
}

}  // namespace axx::app
