// transaxx — the systolic-array generator: spec in, design folder out.
//
// A design folder is self-contained: it lints and synthesizes on its own (design_folder.hpp), and
// every path in it is relative to it. It holds
//   rtl/axx_hw_*.v   one generated block per file (emit.hpp), byte-stable
//   rtl/multipliers/ the multipliers' own Verilog, copied from their library records
//   tb/              the self-checking testbench and its $readmemh stimuli
//   axx_hw.h         C header with the parameters, modes and the per-layer schedule
//   files.f          the design's Verilog in dependency order (multipliers first)
//   lint.vlt         Verilator waivers (DECLFILENAME for the multipliers' family files)
//   synth.tcl        Yosys script (LIBERTY=cells.lib yosys -c synth.tcl)
//   README.md        what the design is and the commands to lint and synthesize it
//   manifest.json    parameters, modes (with their sources in the folder), file list with
//                    SHA-256, the schedule with per-layer cycle estimates, the testbench's tiles
//                    with their modelled cycle counts, provenance of the copied Verilog
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "hwgen/emit.hpp"
#include "hwgen/spec.hpp"

namespace axx::hwgen {

struct GenerateOptions {
  int tests_per_mode = 3;  ///< random tiles per mode in the testbench, 1..1000
  uint64_t seed = 1;       ///< seed of the testbench's random tiles
};

struct GeneratedDesign {
  DesignSpec spec;
  std::vector<GeneratedFile> files;  ///< every file of the folder but manifest.json, paths relative to it
  /// The design's Verilog in the folder, leaves first (the order tools read them, = files.f):
  /// the multipliers' copies, then the generated blocks up to axx_hw_top.
  std::vector<std::string> rtl_order;
  std::vector<std::string> multiplier_files;  ///< the multipliers' copies (rtl/multipliers/...), in mode order
  std::vector<TileTest> tests;
  Json manifest;
};

/// Validates the spec (HWG codes, spec.hpp) and generates every file in memory, the multipliers'
/// Verilog read from their sources (HWG-020 when one cannot be read). Throws "HWG-017" when the
/// testbench's tiles per mode are out of range.
GeneratedDesign generate_design(const DesignSpec& spec, const GenerateOptions& options = {});

/// Writes the files and manifest.json under `out` (each atomically). Files of an earlier
/// design in rtl/ and tb/ (and their subfolders) that this one does not have are removed.
void write_design(const GeneratedDesign& design, const std::filesystem::path& out);

/// The per-layer schedule with cycle estimates and the totals for one inference (part of the manifest).
Json schedule_estimates(const DesignSpec& spec);

}  // namespace axx::hwgen
