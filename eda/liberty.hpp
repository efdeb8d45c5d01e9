// transaxx — Liberty (.lib) standard-cell library reader.
//
// Reads what characterization needs from a Liberty file (Synopsys Liberty Reference Manual,
// "Library Compiler: Liberty format"): units, nominal voltage, and for each cell its area,
// leakage, pin directions and capacitances, the logic function of each output, and the NLDM
// timing (cell_rise/cell_fall, rise/fall_transition) and internal power (rise/fall_power)
// look-up tables. All values are converted to ns, pF, pJ, nW and µm² (area as given).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace axx::flows {

/// A 0-, 1- or 2-D look-up table. Variables are normalized so that lookup() always takes the
/// output load (pF) and the input transition (ns), whatever order the template declares.
struct LibTable {
  std::vector<double> load_index;   ///< pF; empty when the table does not depend on load
  std::vector<double> slew_index;   ///< ns; empty when the table does not depend on slew
  std::vector<double> values;       ///< row-major over (load, slew)
  bool empty() const { return values.empty(); }
  /// Bilinear interpolation, linear extrapolation outside the index range.
  double lookup(double load_pf, double slew_ns) const;
};

struct LibTimingArc {
  std::string related_pin;
  LibTable cell_rise, cell_fall, rise_transition, fall_transition;  ///< ns
};

struct LibPowerArc {
  std::string related_pin;      ///< empty for a pin's own (input) internal power
  LibTable rise_power, fall_power;  ///< pJ per output transition
};

/// A compiled Boolean function over a cell's input pins, evaluated 64 vectors at a time.
class BoolFunction {
 public:
  /// Parses a Liberty function string (operators ! ' & * space | + ^, constants 0 1).
  /// `pins` are the cell's input pin names; unknown names throw axx::Error "LIB-003".
  static BoolFunction parse(const std::string& text, const std::vector<std::string>& pins);
  /// inputs[k] is the word of pin k; returns the word of the output.
  uint64_t eval(const uint64_t* inputs) const;
  const std::string& text() const { return text_; }

 private:
  enum Op : uint8_t { kPin, kZero, kOne, kNot, kAnd, kOr, kXor };
  struct Instr { Op op; uint8_t pin; };
  std::vector<Instr> code_;
  std::string text_;
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

/// Reads a Liberty file. Throws axx::Error "LIB-001" (unreadable / syntax error with file:line),
/// "LIB-002" (missing units or voltage), "LIB-003" (bad function).
std::shared_ptr<const Liberty> load_liberty(const std::filesystem::path& path);

/// The default library: OSU 0.18 µm cells from Debian's qflow-tech-osu018.
std::filesystem::path default_liberty_path();

}  // namespace axx::flows
