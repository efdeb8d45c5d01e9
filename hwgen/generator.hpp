// transaxx — the systolic-array generator: spec in, design folder out.
//
// A design folder holds
//   rtl/axx_hw_*.v   one generated block per file (emit.hpp), byte-stable
//   tb/              the self-checking testbench and its $readmemh stimuli
//   axx_hw.h         C header with the parameters, modes and the per-layer schedule
//   manifest.json    parameters, modes (with the multipliers' Verilog sources), file list with
//                    SHA-256, the schedule with per-layer cycle estimates, the testbench's tiles
//                    with their modelled cycle counts
// The multipliers' own Verilog is not copied: the manifest lists it (multiplier_sources), and
// the tools read it from there.
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
  std::vector<GeneratedFile> files;                       ///< rtl/, tb/, axx_hw.h (manifest.json not included)
  std::vector<std::string> rtl_order;                     ///< rtl files, leaves first (the order tools read them)
  std::vector<std::filesystem::path> multiplier_sources;  ///< every mode's Verilog, deduplicated, in mode order
  std::vector<TileTest> tests;
  Json manifest;
};

/// Validates the spec (HWG codes, spec.hpp) and generates every file in memory.
GeneratedDesign generate_design(const DesignSpec& spec, const GenerateOptions& options = {});

/// Writes the files and manifest.json under `out` (each atomically). Files of an earlier
/// design in rtl/ and tb/ that this one does not have are removed.
void write_design(const GeneratedDesign& design, const std::filesystem::path& out);

/// The per-layer schedule with cycle estimates and the totals for one inference (part of the manifest).
Json schedule_estimates(const DesignSpec& spec);

}  // namespace axx::hwgen
