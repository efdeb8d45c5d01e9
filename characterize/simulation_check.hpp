// transaxx — deciding a multiplier's table when Verilator's simulations of the RTL and of the
// gate-level netlist differ.
//
// characterize simulates both with the settings below; when the tables differ, both are
// simulated again without optimization, and Yosys' own evaluation of the RTL (eda/yosys.hpp
// evaluate_rtl) is asked about the first differing pairs. A design is accepted only when the
// unoptimized simulation of the RTL agrees with the gates everywhere and Yosys agrees with the
// gates at every pair asked; otherwise the error says which side the evidence points at.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "eda/verilator.hpp"
#include "eda/yosys.hpp"

namespace axx::flows {

/// Verilator options of the first simulation: "-fno-dfg" when the installed Verilator has the
/// DFG optimizer (which has mis-simulated correct adder chains), else none.
std::vector<std::string> first_simulation_options();

/// Options of the second simulation when the first tables differ.
const std::vector<std::string>& rerun_simulation_options();

/// At most this many differing pairs are evaluated by Yosys.
inline constexpr size_t kYosysCheckPairs = 8;

/// The settings as one line, for the record's inputs key.
std::string simulation_settings();

/// Indices (a*256+b) where the RTL and gate tables differ.
std::vector<size_t> differing_pairs(const SimulationResult& s);

/// The pairs to ask Yosys about: the first kYosysCheckPairs where the unoptimized rerun still
/// differs, else (the rerun agrees) where the first simulation differed.
std::vector<size_t> pairs_for_yosys(const SimulationResult& first, const SimulationResult& rerun);

/// Decides from the first simulation, the unoptimized rerun and Yosys' outputs at `asked`
/// (pairs_for_yosys). Returns the record's "simulation" fields describing the decision when the
/// design is accepted (the rerun's tables are then the table); throws axx::Error otherwise:
/// "CHR-020" the RTL simulation is wrong (Yosys agrees with the gates), "CHR-008" the netlist is
/// wrong (Yosys agrees with the RTL), "CHR-021" no two agree, "CHR-022" the rerun agrees with the
/// gates but Yosys does not. Messages list the pairs with all three values and name `logs`.
Json decide_simulation(const std::string& top, const SimulationResult& first, const SimulationResult& rerun,
                       const std::vector<size_t>& asked, const std::vector<EvaluatedOutput>& yosys,
                       const std::string& logs);

}  // namespace axx::flows
