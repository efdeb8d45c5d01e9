// transaxx — Liberty look-up tables: NLDM timing (cell_rise/cell_fall, rise/fall_transition) and
// internal power (rise/fall_power) tables, their templates, and interpolation.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "eda/liberty_parser.hpp"

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

/// A lu_table_template or power_lut_template group: variable names and default indices.
struct LibTableTemplate {
  std::string var1, var2;
  std::vector<double> idx1, idx2;
};

/// Numbers of a Liberty list such as "0.1, 0.2, 0.4". Throws axx::Error "LTY-006" naming
/// `where` when the text is not a list of numbers.
std::vector<double> parse_liberty_numbers(const std::string& s, const std::string& where);

/// Reads a template group (variable_1/2, index_1/2).
LibTableTemplate read_table_template(const LibertyGroup& g, const std::string& where);

/// Reads a table group: values times `scale`, load indices times `load_scale` (to pF), slew
/// indices times `slew_scale` (to ns). Throws axx::Error "LTY-007" (template not defined),
/// "LTY-008" (no values), "LTY-009" (value count does not fit the indices).
LibTable read_table(const LibertyGroup& g, const std::map<std::string, LibTableTemplate>& templates, double scale,
                    double load_scale, double slew_scale, const std::string& where);

}  // namespace axx::flows
