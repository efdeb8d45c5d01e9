// Fuzzes the Liberty reader (eda/liberty*: syntax, units, tables, cell functions) on cells taken
// from Debian's OSU 0.18 µm library and a small hand-written one.
#include <gtest/gtest.h>

#include <sstream>

#include "common/fs.hpp"
#include "eda/liberty.hpp"
#include "tests/fuzz/fuzz_util.hpp"

using namespace axx;
using namespace axx::flows;

namespace {

const char kSmall[] = R"LIB(library (tiny) {
  time_unit : "1ns" ;
  voltage_unit : "1V" ;
  leakage_power_unit : "1nW" ;
  capacitive_load_unit (1.0, pf) ;
  nom_voltage : 1.8 ;
  lu_table_template (t2) {
    variable_1 : input_net_transition ;
    variable_2 : total_output_net_capacitance ;
    index_1 ("0.1, 0.5") ;
    index_2 ("0.01, 0.1") ;
  }
  power_lut_template (p1) {
    variable_1 : input_transition_time ;
    index_1 ("0.1, 0.5") ;
  }
  cell (NAND2) {
    area : 32 ;
    cell_leakage_power : 1.5 ;
    pin (A) { direction : input ; capacitance : 0.01 ; }
    pin (B) { direction : input ; capacitance : 0.01 ; }
    pin (Y) {
      direction : output ;
      function : "!(A&B)" ;
      timing () {
        related_pin : "A" ;
        cell_rise (t2) { values ("0.1, 0.2", "0.3, 0.4") ; }
        cell_fall (t2) { index_1 ("0.1, 0.5") ; values ("0.1, 0.2", "0.3, 0.4") ; }
        rise_transition (scalar) { values ("0.1") ; }
      }
      internal_power () {
        related_pin : "B" ;
        rise_power (p1) { values ("0.01, 0.02") ; }
        fall_power (p1) { values ("0.01, 0.02") ; }
      }
    }
  }
  cell (XOR2) {
    area : 40 ;
    pin (A) { direction : input ; }
    pin (B) { direction : input ; }
    pin (Y) { direction : output ; function : "(A^B) | (A' B) + !A*B" ; }
  }
  cell (DFF) {
    ff (IQ, IQN) { next_state : "D" ; clocked_on : "CLK" ; }
    pin (D) { direction : input ; }
    pin (CLK) { direction : input ; }
    pin (Q) { direction : output ; function : "IQ" ; }
  }
}
)LIB";

/// The library's header and a few of its cells (the whole file is too big to fuzz 10,000 times).
std::vector<std::string> osu_seeds() {
  if (!std::filesystem::exists(default_liberty_path())) return {};
  std::istringstream in(read_file(default_liberty_path()));
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l + "\n");
  auto cell = [&](const std::string& name) {
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].rfind("cell (" + name + ")", 0) != 0) continue;
      int depth = 0;
      for (size_t j = i; j < lines.size(); ++j) {
        out += lines[j];
        for (char c : lines[j]) depth += c == '{' ? 1 : c == '}' ? -1 : 0;
        if (depth == 0) return out;
      }
    }
    return out;
  };
  std::string header;
  for (const auto& l : lines) {
    if (l.rfind("cell (", 0) == 0) break;
    header += l;
  }
  return {header + cell("INVX1") + cell("NAND2X1") + cell("DFFPOSX1") + "}\n",
          header + cell("XOR2X1") + cell("HAX1") + "}\n", header + cell("AOI22X1") + cell("TBUFX1") + "}\n"};
}

const std::vector<std::string> kDictionary = {
    "library", "cell", "pin", "timing", "internal_power", "cell_rise", "cell_fall", "rise_transition",
    "fall_transition", "rise_power", "fall_power", "power", "lu_table_template", "power_lut_template", "ff",
    "latch", "statetable", "values", "index_1", "index_2", "index_3", "variable_1", "variable_2",
    "direction", "output", "input", "inout", "function", "related_pin", "capacitance", "area",
    "cell_leakage_power", "time_unit", "voltage_unit", "leakage_power_unit", "capacitive_load_unit",
    "nom_voltage", "operating_conditions", "voltage", "scalar", "\"1ps\"", "\"1mV\"", "\"1fW\"", "ff)", "pf",
    "(", ")", "{", "}", ";", ":", ",", "\"", "\\\n", "/*", "*/", "//", "!", "'", "&", "|", "^", "+", "*",
    "\"\"", "\"0\"", "\"1\"", "\"A B\"", "\"(((A\"", "\"1e999, nan\"", "\"-1, 0\"", "\"0.1,,\""};

}  // namespace

TEST(FuzzLiberty, EveryInputIsReadOrRefusedWithACode) {
  std::vector<std::string> seeds = osu_seeds();
  seeds.push_back(kSmall);
  for (const auto& s : seeds) EXPECT_NO_THROW(parse_liberty_library(s, "seed.lib")) << s.substr(0, 200);
  const fuzz::Spec spec{"liberty", seeds, kDictionary, {"LTY-"}};
  const auto outcomes = fuzz::run_fuzz(spec, [](const std::string& b) { parse_liberty_library(b, "fuzz.lib"); });
  EXPECT_GT(outcomes.size(), 5u);
}
