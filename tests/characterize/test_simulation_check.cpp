// Deciding a multiplier's table when Verilator's RTL and gate-level simulations differ, on
// made-up tables and Yosys answers (no tools run).
#include <gtest/gtest.h>

#include "characterize/simulation_check.hpp"
#include "../expect_error.hpp"

using namespace axx;
using namespace axx::flows;

namespace {

SimulationResult exact() {
  SimulationResult s;
  s.rtl.resize(65536);
  for (size_t i = 0; i < 65536; ++i) s.rtl[i] = static_cast<uint16_t>((i >> 8) * (i & 255));
  s.gate = s.rtl;
  return s;
}

size_t idx(int a, int b) { return static_cast<size_t>(a * 256 + b); }

EvaluatedOutput value(uint16_t v) { return {v, 0}; }

// The reported case: the optimized RTL simulation drops bit 5 at a=1 b=32.
SimulationResult wrong_rtl_at_1_32() {
  SimulationResult s = exact();
  s.rtl[idx(1, 32)] = 0;
  return s;
}

}  // namespace

TEST(SimulationCheck, YosysGetsTheFirstDifferingPairsCapped) {
  SimulationResult first = exact(), rerun = exact();
  for (int b = 0; b < 20; ++b) first.rtl[idx(3, b)] ^= 1;
  auto asked = pairs_for_yosys(first, rerun);  // the rerun agrees: ask about the first run's pairs
  ASSERT_EQ(asked.size(), kYosysCheckPairs);
  EXPECT_EQ(asked.front(), idx(3, 0));
  rerun.gate[idx(9, 9)] = 1;  // the rerun still differs: ask about its pairs
  asked = pairs_for_yosys(first, rerun);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked.front(), idx(9, 9));
}

TEST(SimulationCheck, UnoptimizedRerunAndYosysAgreeingWithTheGatesAccept) {
  const SimulationResult first = wrong_rtl_at_1_32(), rerun = exact();
  const auto asked = pairs_for_yosys(first, rerun);
  ASSERT_EQ(asked, std::vector<size_t>{idx(1, 32)});
  const Json how = decide_simulation("m", first, rerun, asked, {value(32)}, "logs: here");
  EXPECT_TRUE(how["second_opinion"].get<bool>());
  EXPECT_EQ(how["first_differences"], 1);
  EXPECT_EQ(how["yosys_checked"], 1);
  EXPECT_NE(how["decided_by"].get<std::string>().find("Yosys' evaluation of the RTL agrees"), std::string::npos);
}

TEST(SimulationCheck, RerunAgreeingIsNotEnoughWhenYosysDisagrees) {
  const SimulationResult first = wrong_rtl_at_1_32(), rerun = exact();
  const std::string msg = test::expect_error("CHR-022", [&] {
    decide_simulation("m", first, rerun, {idx(1, 32)}, {value(0)}, "logs: here");
  });
  EXPECT_NE(msg.find("a=1 b=32: RTL 0x0000 (unoptimized 0x0020), gates 0x0020, Yosys 0x0000"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("logs: here"), std::string::npos);
  // An unknown Yosys answer is no agreement either.
  test::expect_error("CHR-022", [&] {
    decide_simulation("m", first, rerun, {idx(1, 32)}, {EvaluatedOutput{32, 1}}, "logs");
  });
}

TEST(SimulationCheck, DisagreementThatSurvivesTheRerunNamesTheSideYosysContradicts) {
  const SimulationResult wrong_rtl = wrong_rtl_at_1_32();
  const std::vector<size_t> asked = {idx(1, 32)};
  std::string msg = test::expect_error("CHR-020", [&] {
    decide_simulation("m", wrong_rtl, wrong_rtl, asked, {value(32)}, "logs");
  });
  EXPECT_NE(msg.find("the RTL simulation is wrong"), std::string::npos) << msg;
  EXPECT_NE(msg.find("a=1 b=32: RTL 0x0000, gates 0x0020, Yosys 0x0020"), std::string::npos) << msg;
  msg = test::expect_error("CHR-008", [&] {
    decide_simulation("m", wrong_rtl, wrong_rtl, asked, {value(0)}, "logs");
  });
  EXPECT_NE(msg.find("the synthesized netlist is wrong"), std::string::npos) << msg;
  msg = test::expect_error("CHR-021", [&] {
    decide_simulation("m", wrong_rtl, wrong_rtl, asked, {value(7)}, "logs");
  });
  EXPECT_NE(msg.find("no two of them agree"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Yosys 0x0007"), std::string::npos) << msg;
}

TEST(SimulationCheck, MixedYosysAnswersDecideNothing) {
  SimulationResult s = exact();
  s.rtl[idx(1, 32)] = 0;
  s.rtl[idx(2, 32)] = 0;
  // Yosys sides with the gates at one pair and with the RTL at the other.
  const std::string msg = test::expect_error("CHR-021", [&] {
    decide_simulation("m", s, s, {idx(1, 32), idx(2, 32)}, {value(32), value(0)}, "logs");
  });
  EXPECT_NE(msg.find("at 2 operand pair(s)"), std::string::npos) << msg;
}

TEST(SimulationCheck, MessagesCountThePairsNotShown) {
  SimulationResult s = exact();
  for (int b = 0; b < 20; ++b) s.rtl[idx(5, b)] ^= 0x100;
  const auto asked = pairs_for_yosys(s, s);
  std::vector<EvaluatedOutput> ys;
  for (size_t i : asked) ys.push_back(value(s.gate[i]));
  const std::string msg = test::expect_error("CHR-020", [&] { decide_simulation("m", s, s, asked, ys, "logs"); });
  EXPECT_NE(msg.find("... and 12 more pair(s)"), std::string::npos) << msg;
}
