// transaxx — Liberty (.lib) standard-cell library reader.
//
// Reads what characterization needs from a Liberty file (Synopsys Liberty Reference Manual,
// "Library Compiler: Liberty format"): units, nominal voltage, and for each cell its area,
// leakage, pin directions and capacitances, the logic function of each output, and the NLDM
// timing (cell_rise/cell_fall, rise/fall_transition) and internal power (rise/fall_power)
// look-up tables. All values are converted to ns, pF, pJ, nW and µm² (area as given).
//
// This file is the loader: it builds the model below from the syntax tree (liberty_parser.hpp),
// the tables (liberty_tables.hpp) and the cell functions (liberty_functions.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "eda/liberty_functions.hpp"
#include "eda/liberty_tables.hpp"

namespace axx::flows {

struct LibTimingArc {
  std::string related_pin;
  LibTable cell_rise, cell_fall, rise_transition, fall_transition;  ///< ns
};

struct LibPowerArc {
  std::string related_pin;      ///< empty for a pin's own (input) internal power
  LibTable rise_power, fall_power;  ///< pJ per output transition
};

struct LibPin {
  std::string name;
  bool is_output = false;
  double capacitance_pf = 0;
  std::string function;                ///< outputs only
  std::vector<LibTimingArc> timing;    ///< outputs only
  std::vector<LibPowerArc> power;
};

struct LibCell {
  std::string name;
  double area = 0;                     ///< µm²
  double leakage_nw = 0;
  bool sequential = false;             ///< has ff/latch/statetable groups
  std::vector<LibPin> pins;
  std::vector<std::string> input_names;  ///< input pins in declaration order
  std::vector<BoolFunction> functions;   ///< one per output pin, same order as output_pins()
  std::vector<int> output_pin_indices;   ///< indices into pins of the outputs
  const LibPin* pin(const std::string& n) const;
};

struct Liberty {
  std::string name;             ///< library(name)
  std::filesystem::path path;
  std::string sha256;
  double voltage = 0;           ///< V, nominal
  std::map<std::string, LibCell> cells;
  const LibCell* cell(const std::string& n) const;
};

/// Reads a Liberty file; libraries are cached per file and modification time. Throws axx::Error
/// "LTY-001" (syntax error with file:line), "LTY-002" (unknown unit), "LTY-003"/"LTY-004" (bad
/// cell function), "LTY-005" (no such file), "LTY-006".."LTY-009" (bad table),
/// "LTY-010" (no capacitive_load_unit), "LTY-011" (no nominal voltage), "LTY-012" (no cells).
std::shared_ptr<const Liberty> load_liberty(const std::filesystem::path& path);
/// The same from a file's text (`path` names it in messages and in Liberty::path); not cached.
std::shared_ptr<const Liberty> parse_liberty_library(const std::string& text, const std::filesystem::path& path);

/// The default library: OSU 0.18 µm cells from Debian's qflow-tech-osu018.
std::filesystem::path default_liberty_path();

}  // namespace axx::flows
