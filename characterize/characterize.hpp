// transaxx — the characterize stage: one multiplier's Verilog → LUT, error metrics, area,
// delay, power, and a multiplier record (docs/architecture.md "Multiplier record").
//
// Steps, each in the multiplier's work folder (<out>/work/<name>/, logs and scripts kept):
//   1. Yosys reads the files, picks and checks the top module (yosys.hpp);
//   2. Yosys + ABC synthesize it against the Liberty library (area, cell mix);
//   3. Verilator simulates all 65,536 pairs of the RTL and of the gate-level netlist; the two
//      tables must be identical (verilator.hpp), else an unoptimized rerun and Yosys'
//      evaluation of the RTL decide which side is wrong;
//   4. the mapped netlist is evaluated bit-parallel (and must equal Verilator's table), timed
//      with the NLDM tables and its power measured from toggles under the stimulus
//      (gate_netlist.hpp);
//   5. the LUT (.npy), the error picture (.svg) and the record (.json) are written, the record
//      last, each atomically: a record on disk means a finished multiplier.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/json.hpp"
#include "eda/yosys.hpp"

namespace axx::flows {

/// Bumped when the flow's method changes, so older records are rebuilt.
inline constexpr int kCharacterizeFlowVersion = 4;

struct CharacterizeOptions {
  DesignSpec design;
  std::optional<bool> is_signed;      ///< unset: signed if all ports are declared `signed`
  std::filesystem::path liberty;      ///< empty: default_liberty_path()
  double clock_mhz = 100.0;           ///< clock for power; one multiplication per cycle; > 0
  std::string stimulus = "uniform";   ///< "uniform" or a path to a 256×256 .npy histogram of (a, b)
  size_t vectors = 16384;             ///< operand pairs simulated for power; >= 10,000
  uint64_t seed = 1;                  ///< stimulus random seed
  std::string name;                   ///< record name; empty: the top module's name
  std::filesystem::path out_dir;      ///< where <name>.json, <name>.npy, <name>.error.svg go
  bool force = false;                 ///< rebuild even when an up-to-date record exists
};

struct StageSeconds {
  double inspect = 0, synthesis = 0, simulation = 0, netlist_check = 0, power = 0, write = 0, total = 0;
};

struct CharacterizeResult {
  Json record;
  std::filesystem::path record_path;
  bool reused = false;       ///< an up-to-date record was found and nothing was run
  StageSeconds seconds;
};

/// Characterizes one multiplier. Throws axx::Error (see yosys.hpp, verilator.hpp; when the RTL
/// and gate-level tables differ even after an unoptimized rerun, Yosys' evaluation of the RTL
/// decides which side is named: "CHR-020" the RTL simulation is wrong (Yosys agrees with the
/// gates), "CHR-008" the netlist is wrong (Yosys agrees with the RTL), "CHR-021" no two agree;
/// "CHR-022" the rerun agrees with the gates but Yosys does not, "CHR-023" Yosys could not
/// evaluate the RTL; "CHR-012" record name unusable as a file name; "STIM-*" bad stimulus).
CharacterizeResult characterize(const CharacterizeOptions& options);

/// A record's `rtl_sha256`: the Verilog files' bytes in order, then each parameter override as
/// "\nNAME=VALUE". `library check` recomputes it from a record to find stale entries.
std::string rtl_sha256(const std::vector<std::filesystem::path>& files,
                       const std::vector<std::pair<std::string, std::string>>& params);

/// The key of everything a record depends on (sources, parameters, library, clock, stimulus,
/// tool versions, simulator settings, flow version): equal keys mean the record is up to date.
std::string characterize_inputs_key(const CharacterizeOptions& options, const std::string& name);

/// Checks the options' values (clock, vectors, stimulus file) before any tool runs.
/// Throws axx::Error "CHR-010" (clock), "CHR-011" (vectors), "STIM-001" (not a readable .npy of
/// numbers), "STIM-002" (not 256 x 256), "STIM-003" (negative or non-finite count), "STIM-004" (all zero).
void validate_options(const CharacterizeOptions& options);

/// A one-screen human-readable summary of a record.
std::string format_record_summary(const Json& record);

}  // namespace axx::flows
