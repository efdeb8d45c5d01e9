// transaxx — the synthesized gate-level netlist of a multiplier and its analyses.
//
// Loaded from Yosys' JSON of the ABC-mapped design (standard cells of a Liberty library):
// - bit-parallel zero-delay simulation (64 vectors per machine word) with the cells' Liberty
//   functions, cross-checked against Verilator's gate-level table;
// - static timing with the NLDM tables (worst of rise/fall through every arc);
// - power: net switching (½·C·V² per toggle, C = fan-out pin capacitances), cell internal
//   energy per output transition from the rise/fall_power tables, and leakage. This is the
//   zero-delay toggle-count method (Najm, "A survey of power estimation techniques in VLSI
//   circuits", IEEE TVLSI 1994; toggle × capacitance as in the reference open-flow measurement):
//   glitches are not counted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "eda/liberty.hpp"

namespace axx::flows {

/// Transition time assumed at the primary inputs (ns): a registered operand in OSU 0.18 µm.
inline constexpr double kInputSlewNs = 0.1;
/// Load on each primary output (pF): about one OSU 0.18 µm flip-flop D pin (DFFPOSX1 ≈ 0.01 pF).
inline constexpr double kOutputLoadPf = 0.01;

struct GateCell {
  const LibCell* lib = nullptr;
  std::string name;
  std::vector<int> inputs;   ///< net per lib->input_names entry
  std::vector<int> outputs;  ///< net per lib->output_pin_indices entry; -1 when unconnected
};

/// Nets 0 and 1 are the constants 0 and 1.
struct GateNetlist {
  std::string top;
  int num_nets = 2;
  std::vector<int> a_bits, b_bits, o_bits;  ///< LSB first
  std::vector<GateCell> cells;              ///< in topological order
  std::map<std::string, int> cell_mix;      ///< cell type -> count
  double area_um2 = 0;
  double leakage_nw = 0;
};

/// Reads `module` from a Yosys write_json file; `a`, `b`, `o` name the ports.
/// Throws axx::Error "NET-001" (cell not in the library, combinational loop, bad ports).
GateNetlist load_gate_netlist(const std::filesystem::path& json_path, const std::string& module,
                              const std::string& a, const std::string& b, const std::string& o,
                              const Liberty& lib);

/// Operand pairs, each (a << 8) | b, simulated in order (a transition between consecutive ones).
using PairSequence = std::vector<uint16_t>;

/// Zero-delay simulation; returns each net's values, `words` 64-bit words per net (net-major).
std::vector<uint64_t> simulate(const GateNetlist& n, const PairSequence& pairs, size_t& words);

/// Raw 16-bit outputs for each pair (bit-parallel evaluation of the netlist).
std::vector<uint16_t> evaluate_outputs(const GateNetlist& n, const PairSequence& pairs);

struct TimingReport {
  double delay_ns = 0;                 ///< worst arrival at any output
  std::vector<double> net_load_pf;     ///< fan-out pin caps (+ kOutputLoadPf on outputs)
  std::vector<double> net_slew_ns;     ///< worst transition time on each net
};

TimingReport analyze_timing(const GateNetlist& n);

struct PowerReport {
  double switching_uw = 0, internal_uw = 0, leakage_uw = 0, total_uw = 0;
  double energy_pj_per_op = 0;      ///< total power / clock: what one multiplication costs
  double dynamic_pj_per_op = 0;     ///< switching + internal energy per operation
  double toggles_per_op = 0;        ///< net toggles per operation, summed over nets
  size_t vectors = 0;
};

/// Power at `clock_mhz` with one multiplication per cycle, supply = the library's voltage.
PowerReport analyze_power(const GateNetlist& n, const TimingReport& t, const PairSequence& pairs,
                          double voltage, double clock_mhz);

}  // namespace axx::flows
