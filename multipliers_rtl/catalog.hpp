// transaxx — the catalog of built-in approximate multipliers (multipliers_rtl/catalog.csv).
//
// One line per instance: `name,family,file,top,signedness,params`, e.g.
//   bam_u8_v4,bam,bam.v,bam_u8,unsigned,VBL=4;HBL=0
// Lines whose first non-blank character is '#' are comments; blank lines are ignored; a line
// equal to the header `name,family,file,top,signedness,params` is accepted and skipped.
// Every field and every parameter is validated against the family table (reference_models.hpp);
// errors are axx::Error with codes "CAT-NNN" (listed in catalog.cpp) and name file:line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace axx::mult {

/// Knob values of one instance, in catalog order: Verilog parameter name -> value.
using ParamList = std::vector<std::pair<std::string, int64_t>>;

/// One catalog line.
struct CatalogEntry {
  std::string name;        ///< unique, `<family>_<u|s>8[_<knob><value>...]`, e.g. "drum_s8_k4"
  std::string family;      ///< a name from family_names(), e.g. "drum"
  std::string file;        ///< Verilog source, relative to the catalog's folder, e.g. "drum.v"
  std::string top;         ///< module to elaborate, e.g. "drum_s8"
  bool is_signed = false;  ///< true: a, b, o are two's complement; false: plain binary
  ParamList params;        ///< every knob of the family, each within its range
  int line = 0;            ///< 1-based line in the catalog file (0 when built in code)
};

/// Reads and validates a catalog file. Throws axx::Error "CAT-NNN" naming file:line, the field
/// and what was expected. Checks: six fields; name syntax, uniqueness and agreement with
/// family and signedness; known family; file and top equal to the family's variant for that
/// signedness and the file exists next to the catalog; signedness `unsigned|signed`; params
/// `NAME=INT` joined by ';', every knob given once and within range.
std::vector<CatalogEntry> load_catalog(const std::filesystem::path& csv);

/// Same as load_catalog for text already in memory; `source` names the text in messages and
/// its parent folder is where the Verilog files are looked up.
std::vector<CatalogEntry> parse_catalog(std::istream& in, const std::filesystem::path& source);

/// Checks a family's knobs: known family (else "CAT-004" listing the families), no unknown
/// ("CAT-011") or repeated ("CAT-013") names, none missing ("CAT-018"), each within its range
/// ("CAT-012"), and the family's joint constraints ("CAT-015"). Messages list the valid
/// names and ranges.
void validate_params(const std::string& family, const ParamList& params);

/// The built-in families, in table order ("exact" first).
std::vector<std::string> family_names();

/// `VBL=4;HBL=0` — the params field as the catalog writes it.
std::string format_params(const ParamList& params);

/// The entry named `name`, or nullptr.
const CatalogEntry* find_entry(const std::vector<CatalogEntry>& catalog, const std::string& name);

}  // namespace axx::mult
