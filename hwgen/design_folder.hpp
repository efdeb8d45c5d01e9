// transaxx — what makes a design folder self-contained: the multipliers' Verilog copied in, the
// file list, the Verilator waivers, the Yosys script and the README (generator.hpp).
//
// Every path these files hold is relative to the design folder; the folder alone (plus a
// Liberty file for synthesis) lints and synthesizes.
//
//   rtl/multipliers/<name>/<file>  the multipliers' Verilog, copied unchanged. Each distinct
//                                  source (same file, or same bytes) is copied once, into the
//                                  folder of the first mode that uses it; a later mode sharing
//                                  it (same family file, other parameters) refers to that copy.
//                                  Two different files of one multiplier with the same name
//                                  become <stem>_2<ext>, <stem>_3<ext>, ...
//   files.f                        the design's Verilog in dependency order, one path a line
//   lint.vlt                       Verilator configuration: DECLFILENAME waived for rtl/multipliers/
//   synth.tcl                      Yosys script (yosys -c synth.tcl), Liberty file from $LIBERTY
//   README.md                      what the design is, the file list, the lint and synthesis commands
#pragma once

#include <string>
#include <vector>

#include "hwgen/emit.hpp"
#include "hwgen/spec.hpp"

namespace axx::hwgen {

/// The multipliers' Verilog as the design folder holds it.
struct MultiplierCopies {
  std::vector<GeneratedFile> files;  ///< rtl/multipliers/<name>/<file> with the source's bytes, in mode order
  std::vector<std::string> original_names;            ///< per file: the source's own file name (no folder)
  std::vector<std::vector<std::string>> used_by;      ///< per file: the multipliers (modes) that use it
  std::vector<std::vector<std::string>> mode_sources;  ///< per mode: its sources in the folder, record order
};

/// Reads every mode's Verilog sources and places them under rtl/multipliers/. Throws "HWG-020"
/// when a source cannot be read.
MultiplierCopies copy_multiplier_sources(const DesignSpec& spec);

/// The Verilator command that lints the design from its folder (README.md and the tests use it).
std::vector<std::string> lint_command();
/// The Yosys command that synthesizes the design from its folder; LIBERTY must be set.
std::vector<std::string> synth_command();
/// The netlist synth.tcl writes (into the current folder).
inline constexpr const char* kNetlistFile = "axx_hw_top.netlist.v";

std::string emit_file_list(const std::vector<std::string>& rtl_order);
std::string emit_lint_config();
std::string emit_synth_script(const std::vector<std::string>& rtl_order);
std::string emit_readme(const DesignSpec& spec, const std::vector<std::string>& rtl_order,
                        const MultiplierCopies& copies);

}  // namespace axx::hwgen
