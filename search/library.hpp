// transaxx search — the multiplier library as the search sees it: names, signedness, error
// metrics and energy per operation, read from a library folder (docs/architecture.md "Library").
//
// LUTs are optional here: they are only needed for the operand-statistics error features of the
// surrogate (surrogate.hpp) and are loaded on request.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace axx::search {

/// One characterized multiplier (fields of library.json and of its record <name>.json).
struct MultiplierInfo {
  std::string name;
  std::string family;
  bool is_signed = true;
  double energy_pj_per_op = 0;     ///< pJ per multiplication, > 0 (record hw.energy_pj_per_op)
  double power_uw = 0;             ///< µW at the characterization clock (informative)
  double area_um2 = 0;             ///< µm² (informative)
  double mae_pct = 0;              ///< % of 2^16 (EvoApproxLib definition), ≥ 0
  double wce_pct = 0;              ///< % of 2^16, ≥ 0
  double mse = 0;                  ///< mean squared error over all 2^16 operand pairs, LSB²
  double mean_error = 0;           ///< bias (approximate − exact), LSB
  std::filesystem::path lut_path;  ///< absolute path of the <i4 256×256 .npy ("" if none)
  std::string lut_sha256;          ///< the record's hash of that file ("" = not recorded)
  /// Row-major 256×256 table (row = activation pattern, column = weight pattern), filled only
  /// when loaded with luts = true.
  std::vector<int32_t> lut;
};

struct MultiplierLibrary {
  std::filesystem::path dir;  ///< the folder (written into approximation configs)
  std::vector<MultiplierInfo> multipliers;

  /// Index of `name`, or -1.
  int find(const std::string& name) const;
  std::vector<std::string> names() const;
};

/// Reads <dir>/library.json and every record it lists (common/library_folder.hpp). With `luts`,
/// also reads each LUT. Throws axx::Error LIB-* naming the file and field when library.json or a
/// record is missing or malformed (LIB-009 when a record lacks an error metric or the energy the
/// search needs), SRC-003 when a record's energy per operation is not > 0, SRC-002 when the
/// library lists no multiplier.
MultiplierLibrary load_multiplier_library(const std::filesystem::path& dir, bool luts = false);

/// Loads the LUTs of every multiplier that has none yet (LIB-011..014 when a file is missing or
/// not a 256x256 '<i4' .npy).
void load_luts(MultiplierLibrary& lib);

/// Exact product for raw 8-bit patterns a, b under the given signedness.
inline int32_t exact_product(int a, int b, bool is_signed) {
  if (is_signed) return int32_t(int8_t(uint8_t(a))) * int32_t(int8_t(uint8_t(b)));
  return int32_t(a) * int32_t(b);
}

/// Throws SRC-002: the multiplier library in `dir` lists no multiplier.
[[noreturn]] void throw_empty_library(const std::filesystem::path& dir);

}  // namespace axx::search
