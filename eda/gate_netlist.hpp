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
// - clocked netlists (hwgen's processing element): plain D flip-flops, every port by name, and
//   cycle-by-cycle simulation of 64 independent lanes with the energy of each cycle.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
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

/// A plain D flip-flop (inputs D and CLK, output Q) of the library, rising-edge in simulation.
struct GateFlop {
  const LibCell* lib = nullptr;
  std::string name;
  int d = -1, q = -1;
  std::vector<int> inputs;  ///< net per lib->input_names entry (D and CLK)
};

/// Nets 0 and 1 are the constants 0 and 1.
struct GateNetlist {
  std::string top;
  int num_nets = 2;
  std::vector<int> a_bits, b_bits, o_bits;  ///< a multiplier's ports (load_gate_netlist), LSB first
  std::map<std::string, std::vector<int>> ports;  ///< every port read -> its nets, LSB first
  std::vector<std::string> output_ports;    ///< the ports that drive a load (kOutputLoadPf per bit)
  std::vector<GateCell> cells;              ///< combinational cells in topological order
  std::vector<GateFlop> flops;              ///< load_gate_module only
  std::map<std::string, int> cell_mix;      ///< cell type -> count
  double area_um2 = 0;
  double leakage_nw = 0;
};

/// Reads the multiplier `module` from a Yosys write_json file (a flattened netlist's only module
/// when the name differs); `a`, `b`, `o` name the ports. Throws axx::Error "NET-001" (no module),
/// "NET-002" (a port is missing), "NET-003" (cell not in the library), "NET-004" (a sequential
/// cell), "NET-005" (unconnected input pin), "NET-006" (net with two drivers), "NET-007"
/// (combinational loop).
GateNetlist load_gate_netlist(const std::filesystem::path& json_path, const std::string& module,
                              const std::string& a, const std::string& b, const std::string& o,
                              const Liberty& lib);

/// Reads `module` with all its ports (output ports drive kOutputLoadPf per bit) and plain D
/// flip-flops. Throws "NET-008" when the file has no module of that name, "NET-009" for a
/// sequential cell that is not a plain D flip-flop, and the errors of load_gate_netlist.
GateNetlist load_gate_module(const std::filesystem::path& json_path, const std::string& module, const Liberty& lib);

/// Operand pairs, each (a << 8) | b, simulated in order (a transition between consecutive ones).
using PairSequence = std::vector<uint16_t>;

/// Zero-delay simulation; returns each net's values, `words` 64-bit words per net (net-major).
std::vector<uint64_t> simulate(const GateNetlist& n, const PairSequence& pairs, size_t& words);

/// Raw 16-bit outputs for each pair (bit-parallel evaluation of the netlist).
std::vector<uint16_t> evaluate_outputs(const GateNetlist& n, const PairSequence& pairs);

struct TimingReport {
  double delay_ns = 0;                 ///< worst arrival at any bit of o_bits
  std::vector<double> net_load_pf;     ///< fan-out pin caps (+ kOutputLoadPf on output ports)
  std::vector<double> net_slew_ns;     ///< worst transition time on each net
};

/// Loads and slews of every net, and the worst delay. Paths start at the primary inputs
/// (kInputSlewNs) and at flip-flop outputs (their CLK -> Q arcs).
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

// ---- clocked netlists: cycle-by-cycle simulation of 64 lanes ------------------------------------

/// One clock cycle's input port values: port -> value per lane (lane l is bit l of each net's
/// word; up to 64 lanes). Ports the netlist lacks are ignored; ports a frame omits keep their value.
struct PortFrame {
  std::map<std::string, std::vector<uint64_t>> value;
};

struct CycleEnergy {
  double pj = 0;       ///< summed over lanes and cycles
  double toggles = 0;  ///< net toggles, summed over lanes and cycles
};

/// Simulates `frames` one clock cycle each from the all-zero state: the frame's inputs and the
/// flip-flops' state settle through the logic (zero delay), then every flip-flop takes its D.
/// Returns the energy of the cycles [from, frames.size()) against the cycle before: ½·C·V² per
/// net toggle (C from `t`), and per flip-flop Q and combinational cell output transition the
/// mean of its internal-power arcs (the first output of each cell). Clock and leakage are not
/// included (clock_energy_pj, GateNetlist::leakage_nw). `observe(cycle, nets)` is called after
/// each cycle settles, before the flip-flops clock; nets holds one word per net.
CycleEnergy simulate_cycles(const GateNetlist& n, const TimingReport& t, const std::vector<PortFrame>& frames,
                            size_t from, double voltage,
                            const std::function<void(size_t, const std::vector<uint64_t>&)>& observe = {});

/// The value of `port` in each of 64 lanes, from the words of simulate_cycles' `nets`.
std::vector<uint64_t> port_lanes(const GateNetlist& n, const std::string& port, const std::vector<uint64_t>& nets);

/// Energy of one clock cycle in one lane: the flip-flops' CLK pins charged and discharged
/// (C·V²) and their CLK internal energy for a rise and a fall.
double clock_energy_pj(const GateNetlist& n, double voltage);

}  // namespace axx::flows
