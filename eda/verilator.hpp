// transaxx — Verilator driver: exhaustive simulation of a multiplier's RTL and of its
// synthesized gate-level netlist, side by side in one verilated model.
//
// A generated harness instantiates the user's top module (with its parameter overrides) and
// the flattened netlist `axx_gate`, and a generated C++ main evaluates all 65,536 operand pairs.
// Verilator's runtime (verilated.cpp, verilated_threads.cpp) is compiled once per Verilator and
// compiler version into a cache folder and linked into each model, so one simulation costs a
// Verilator run plus one small C++ compile.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace axx::flows {

/// "Verilator 5.006 ...". Throws "PROC-002" naming the Debian package when missing.
std::string verilator_version();

/// Whether the installed Verilator has the DFG optimizer's switch (-fno-dfg); asked once
/// (`verilator -fno-dfg --version`) and cached for the process.
bool verilator_has_dfg_switch();

/// Folder for build caches: $TRANSAXX_CACHE_DIR, else $XDG_CACHE_HOME/transaxx, else ~/.cache/transaxx.
std::filesystem::path cache_dir();

/// $VERILATOR_ROOT, else Debian's /usr/share/verilator.
std::string verilator_root();

/// The C++ compiler for verilated models: $CXX when it names a program, else g++.
std::string verilated_compiler();

/// Flags every verilated translation unit and the runtime must share (VM_* select runtime features).
std::vector<std::string> verilated_cxx_flags();

/// Verilator's runtime (verilated.o, verilated_threads.o), compiled once per Verilator, compiler
/// and flags into cache_dir(); safe across threads and processes. Throws "VLT-005" on failure.
std::vector<std::filesystem::path> verilator_runtime_objects();

struct SimulationRequest {
  std::vector<std::filesystem::path> rtl_files;
  std::string top;
  std::vector<std::pair<std::string, std::string>> params;
  std::string port_a, port_b, port_o;
  std::filesystem::path gate_netlist;  ///< flattened netlist defining module axx_gate, one port per bit
  std::map<std::string, std::vector<int>> bit_index;  ///< per port, declared index of each bit (LSB first)
  std::vector<std::string> options;  ///< extra Verilator options for the whole model (e.g. "-fno-dfg", "-O0")
  /// Suffix of the model folder and log names ("" = verilator/, verilator.log, ...; "O0" =
  /// verilator-O0/, verilator-O0.log, ...), so a rerun keeps the first run's logs.
  std::string tag;
};

struct SimulationResult {
  std::vector<uint16_t> rtl, gate;  ///< raw 16-bit outputs, index a*256+b
};

/// Builds and runs the harness in `work` (logs: verilator.log, compile.log, sim.log, each with
/// "-<tag>" before the extension when the request has a tag). Errors: "VLT-001" Verilator rejected the design
/// (its message and log path), "VLT-002" the C++ build failed, "VLT-003" the simulation failed,
/// "VLT-006" its output has the wrong size, "VLT-004" the netlist is not in `work` (internal).
SimulationResult simulate_exhaustive(const SimulationRequest& req, const std::filesystem::path& work);

}  // namespace axx::flows
