// transaxx — Yosys driver: reading and checking a multiplier design, and synthesizing it
// against a Liberty library with ABC.
//
// Three artefacts come out of synthesis, all in the work folder:
//   gate.json       the ABC-mapped netlist (standard cells), for timing and power;
//   gate_flat.v     the same netlist with the cells flattened into their Liberty functions
//                   (Yosys read_liberty) and one port per bit (<port>_<index>), for
//                   gate-level simulation in Verilator;
//   synth.log       Yosys' log, including `stat -liberty` (area, cell mix).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace axx::flows {

/// What the user gave: the Verilog files and how to pick the multiplier inside them.
struct DesignSpec {
  std::vector<std::filesystem::path> files;
  std::string top;      ///< module to characterize; empty = the single top candidate
  std::vector<std::pair<std::string, std::string>> params;  ///< Verilog parameter overrides
  std::string port_a;   ///< activation input; empty = the first declared input
  std::string port_b;   ///< weight input; empty = the other input
};

/// What the checks found.
struct DesignInfo {
  std::string top;
  std::string port_a, port_b, port_o;
  bool ports_declared_signed = false;  ///< all three ports carry Verilog `signed`
  std::vector<std::string> modules;     ///< every module read (for messages)
  /// Per port: the declared index of each bit, LSB first (names of the split gate-level ports).
  std::map<std::string, std::vector<int>> bit_index;
};

/// "Yosys 0.23 (git sha1 ...)". Throws "PROC-002" naming the Debian package when missing.
std::string yosys_version();

/// Reads the files and chooses the top module. Errors: "YSY-001" missing file, "YSY-002"
/// Verilog syntax (with Yosys' own file:line message), "YSY-003" several top candidates,
/// "YSY-011" no module, "YSY-012" the named top is not defined, "YSY-013" no top candidate
/// (these list the modules), "YSY-008" a file name Yosys scripts cannot quote, "YSY-009" no
/// file, "YSY-010" not a regular file.
DesignInfo inspect_design(const DesignSpec& spec, const std::filesystem::path& work);

/// Elaborates, checks and synthesizes. Errors: "YSY-004" wrong ports (says what was found),
/// "YSY-014" the named activation/weight input does not exist, "YSY-015" both name the same
/// input, "YSY-005" flip-flops or latches (names the cells and their source lines), "YSY-006" an
/// output that synthesis reduced to a constant, "YSY-007" Yosys failed otherwise (log tail).
void synthesize(const DesignSpec& spec, DesignInfo& info, const std::filesystem::path& liberty,
                const std::filesystem::path& work);

/// One output value from Yosys' own evaluation: `unknown` has a 1 for each bit Yosys found x or z.
struct EvaluatedOutput {
  uint16_t value = 0;
  uint16_t unknown = 0;
};

/// A third opinion on a multiplier's RTL: Yosys elaborates the design as written (hierarchy with
/// the parameter overrides, proc, flatten; no synthesis) and evaluates the output for each
/// (a, b) pair with its `eval` pass (signals without a driver evaluate to x). Script and log: <work>/<name>.ys, <name>.log. Errors:
/// "YSY-020" Yosys failed (its message and log), "YSY-021" the log lacks a result per pair.
std::vector<EvaluatedOutput> evaluate_rtl(const DesignSpec& spec, const DesignInfo& info,
                                          const std::vector<std::pair<int, int>>& pairs,
                                          const std::filesystem::path& work, const std::string& name = "eval");

}  // namespace axx::flows
