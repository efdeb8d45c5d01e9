#include "characterize/simulation_check.hpp"

#include <fmt/format.h>

#include "common/error.hpp"

namespace axx::flows {

namespace {

std::string hex_or_x(const EvaluatedOutput& e) {
  if (!e.unknown) return fmt::format("0x{:04x}", e.value);
  std::string bits;
  for (int i = 15; i >= 0; --i) bits += (e.unknown >> i) & 1 ? 'x' : (e.value >> i) & 1 ? '1' : '0';
  return "16'b" + bits;
}

}  // namespace

std::vector<std::string> first_simulation_options() {
  if (verilator_has_dfg_switch()) return {"-fno-dfg"};
  return {};
}

const std::vector<std::string>& rerun_simulation_options() {
  static const std::vector<std::string> options = {"-O0"};
  return options;
}

std::string simulation_settings() {
  return fmt::format("verilator {}; rerun {}; yosys eval {}", fmt::join(first_simulation_options(), " "),
                     fmt::join(rerun_simulation_options(), " "), kYosysCheckPairs);
}

std::vector<size_t> differing_pairs(const SimulationResult& s) {
  std::vector<size_t> d;
  for (size_t i = 0; i < s.rtl.size() && i < s.gate.size(); ++i)
    if (s.rtl[i] != s.gate[i]) d.push_back(i);
  return d;
}

std::vector<size_t> pairs_for_yosys(const SimulationResult& first, const SimulationResult& rerun) {
  std::vector<size_t> d = differing_pairs(rerun);
  if (d.empty()) d = differing_pairs(first);
  if (d.size() > kYosysCheckPairs) d.resize(kYosysCheckPairs);
  return d;
}

Json decide_simulation(const std::string& top, const SimulationResult& first, const SimulationResult& rerun,
                       const std::vector<size_t>& asked, const std::vector<EvaluatedOutput>& yosys,
                       const std::string& logs) {
  const size_t first_diff = differing_pairs(first).size(), rerun_diff = differing_pairs(rerun).size();
  const bool rerun_agrees = rerun_diff == 0;
  bool yosys_with_gates = !asked.empty(), yosys_with_rtl = !asked.empty();
  std::string table;
  for (size_t k = 0; k < asked.size() && k < yosys.size(); ++k) {
    const size_t i = asked[k];
    const uint16_t rtl = rerun_agrees ? first.rtl[i] : rerun.rtl[i], gate = rerun.gate[i];
    yosys_with_gates = yosys_with_gates && !yosys[k].unknown && yosys[k].value == gate;
    yosys_with_rtl = yosys_with_rtl && !yosys[k].unknown && yosys[k].value == rtl;
    table += fmt::format("\n  a={} b={}: RTL 0x{:04x}{}, gates 0x{:04x}, Yosys {}", i >> 8, i & 255, rtl,
                         rerun_agrees ? fmt::format(" (unoptimized 0x{:04x})", rerun.rtl[i]) : "", gate,
                         hex_or_x(yosys[k]));
  }
  const size_t total = rerun_agrees ? first_diff : rerun_diff;
  const std::string more = total > asked.size() ? fmt::format("\n  ... and {} more pair(s)", total - asked.size()) : "";
  if (rerun_agrees) {
    if (yosys_with_gates) {
      return {{"second_opinion", true},
              {"first_differences", first_diff},
              {"yosys_checked", asked.size()},
              {"decided_by", fmt::format("the first simulation's RTL and gate-level tables differed at {} pair(s); "
                                         "unoptimized they agree everywhere, and Yosys' evaluation of the RTL agrees "
                                         "with them at the {} pair(s) checked",
                                         first_diff, asked.size())}};
    }
    throw Error("CHR-022", fmt::format("module '{}': Verilator's simulation of the RTL changes with its optimization "
                                       "level at {} operand pair(s), and Yosys' evaluation of the RTL does not agree "
                                       "with the unoptimized simulation and the gates; the table cannot be trusted "
                                       "({}):{}{}",
                                       top, total, logs, table, more));
  }
  if (yosys_with_gates) {
    throw Error("CHR-020", fmt::format("module '{}': the RTL simulation is wrong at {} operand pair(s) (Yosys' "
                                       "evaluation of the RTL agrees with the synthesized netlist, Verilator's "
                                       "simulation of the RTL does not, optimized or not); the RTL may depend on "
                                       "x/z values or simulation-only constructs (`ifdef SYNTHESIS, initial "
                                       "blocks) ({}):{}{}",
                                       top, total, logs, table, more));
  }
  if (yosys_with_rtl) {
    throw Error("CHR-008", fmt::format("module '{}': the synthesized netlist is wrong at {} operand pair(s) (Yosys' "
                                       "evaluation of the RTL agrees with Verilator's simulation of the RTL, not with "
                                       "the netlist); please report this with the work folder ({}):{}{}",
                                       top, total, logs, table, more));
  }
  throw Error("CHR-021", fmt::format("module '{}': the RTL simulation, the synthesized netlist and Yosys' evaluation "
                                     "of the RTL do not agree at {} operand pair(s) (no two of them agree); the RTL "
                                     "may depend on x/z values or simulation-only constructs (`ifdef SYNTHESIS, "
                                     "initial blocks) ({}):{}{}",
                                     top, total, logs, table, more));
}

}  // namespace axx::flows
