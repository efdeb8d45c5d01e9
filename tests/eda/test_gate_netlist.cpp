// The one gate-level netlist model on hand-written Yosys JSON: a clocked module (a flip-flop
// that toggles through an inverter) simulated cycle by cycle, and the loader's errors.
#include <gtest/gtest.h>

#include <functional>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "eda/gate_netlist.hpp"
#include "../cli_util.hpp"

using namespace axx;
using namespace axx::flows;

namespace {

// q <= !q on every clock; `extra` adds cells to the module.
std::string toggler_json(const std::string& extra = "") {
  return R"({"modules": {"toggler": {
    "ports": {"clk": {"direction": "input", "bits": [2]}, "q": {"direction": "output", "bits": [3]}},
    "cells": {"ff": {"type": "DFFPOSX1", "connections": {"D": [4], "CLK": [2], "Q": [3]}},
              "inv": {"type": "INVX1", "connections": {"A": [3], "Y": [4]}})" + extra + R"(}}}})";
}

std::string expect_code(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return "no error";
}

}  // namespace

TEST(GateNetlist, ClockedModuleTogglesEveryCycleAndChargesItsNets) {
  const auto lib = load_liberty(default_liberty_path());
  const auto d = test::temp_dir("gate-netlist");
  write_file_atomic(d / "t.json", toggler_json());
  const GateNetlist n = load_gate_module(d / "t.json", "toggler", *lib);
  ASSERT_EQ(n.flops.size(), 1u);
  ASSERT_EQ(n.cells.size(), 1u);
  EXPECT_EQ(n.output_ports, std::vector<std::string>{"q"});
  EXPECT_DOUBLE_EQ(n.area_um2, lib->cell("DFFPOSX1")->area + lib->cell("INVX1")->area);
  const TimingReport t = analyze_timing(n);
  // q drives the inverter's A pin and the output load; d drives the flip-flop's D pin.
  const int q = n.ports.at("q")[0];
  EXPECT_NEAR(t.net_load_pf[static_cast<size_t>(q)], lib->cell("INVX1")->pin("A")->capacitance_pf + kOutputLoadPf,
              1e-15);
  EXPECT_GT(t.net_slew_ns[static_cast<size_t>(q)], 0);

  std::vector<PortFrame> frames(5);
  std::vector<uint64_t> seen;
  const CycleEnergy e = simulate_cycles(n, t, frames, 1, lib->voltage, [&](size_t, const std::vector<uint64_t>& nets) {
    seen.push_back(port_lanes(n, "q", nets)[63]);
  });
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1, 0, 1, 0}));
  // Cycles 1..4 against the one before: q and d toggle in all 64 lanes.
  EXPECT_DOUBLE_EQ(e.toggles, 4 * 2 * 64);
  const double switching = 4 * 64 * 0.5 * lib->voltage * lib->voltage *
                           (t.net_load_pf[static_cast<size_t>(q)] + t.net_load_pf[static_cast<size_t>(n.flops[0].d)]);
  EXPECT_GT(e.pj, switching);  // plus the internal energy of the inverter and the flip-flop
  EXPECT_GT(clock_energy_pj(n, lib->voltage), 0);
  std::filesystem::remove_all(d);
}

TEST(GateNetlist, LoaderErrorsHaveOneCodeEach) {
  const auto lib = load_liberty(default_liberty_path());
  const auto d = test::temp_dir("gate-netlist-errors");
  write_file_atomic(d / "t.json", toggler_json());
  // A multiplier must be combinational.
  EXPECT_EQ(expect_code([&] { load_gate_netlist(d / "t.json", "toggler", "clk", "clk", "q", *lib); }), "NET-004");
  EXPECT_EQ(expect_code([&] { load_gate_netlist(d / "t.json", "toggler", "a", "clk", "q", *lib); }), "NET-002");
  EXPECT_EQ(expect_code([&] { load_gate_module(d / "t.json", "other", *lib); }), "NET-008");
  write_file_atomic(d / "u.json", toggler_json(R"(, "x": {"type": "NOSUCHCELL", "connections": {}})"));
  EXPECT_EQ(expect_code([&] { load_gate_module(d / "u.json", "toggler", *lib); }), "NET-003");
  write_file_atomic(d / "v.json", toggler_json(R"(, "x": {"type": "INVX1", "connections": {"A": [5], "Y": [4]}})"));
  EXPECT_EQ(expect_code([&] { load_gate_module(d / "v.json", "toggler", *lib); }), "NET-006");
  write_file_atomic(d / "w.json", toggler_json(R"(, "x": {"type": "INVX1", "connections": {"Y": [6]}})"));
  EXPECT_EQ(expect_code([&] { load_gate_module(d / "w.json", "toggler", *lib); }), "NET-005");
  write_file_atomic(d / "x.json", toggler_json(R"(, "x": {"type": "INVX1", "connections": {"A": [5], "Y": [6]}},
                                                   "y": {"type": "INVX1", "connections": {"A": [6], "Y": [5]}})"));
  EXPECT_EQ(expect_code([&] { load_gate_module(d / "x.json", "toggler", *lib); }), "NET-007");
  std::filesystem::remove_all(d);
}
