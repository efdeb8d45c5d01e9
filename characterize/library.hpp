// transaxx — multiplier libraries: characterize many multipliers in parallel and
// incrementally, then index them (library.json, library.csv, a power-vs-error scatter).
//
// A library folder holds one record + LUT + error picture per multiplier (characterize.hpp)
// and the index files. Records whose inputs are unchanged are reused, so a build killed
// halfway and run again redoes only what was unfinished.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "characterize/characterize.hpp"

namespace axx::flows {

/// One multiplier to characterize.
struct LibraryItem {
  CharacterizeOptions options;  ///< design, name and parameters; out_dir/tech set by the build
  std::string family;           ///< catalog family, or "" for a user's file
};

struct LibraryBuildOptions {
  /// Folders (every .v/.sv inside, one multiplier per file), Verilog files, or catalog .csv files
  /// (multipliers_rtl/catalog.csv format); empty = the built-in catalog.
  std::vector<std::filesystem::path> inputs;
  std::filesystem::path out_dir;
  int jobs = 1;                               ///< multipliers characterized at once, >= 1
  /// Names to keep from the inputs (e.g. a few catalog lines); empty = all. An unknown name is
  /// CHR-105, listing the valid ones.
  std::vector<std::string> only;
  /// liberty, clock, stimulus, vectors, seed, force; is_signed applies to files and folders
  /// (catalog lines carry their own signedness)
  CharacterizeOptions tech;
};

struct LibraryBuildResult {
  Json library;                                ///< what library.json holds
  int built = 0, reused = 0;
  std::vector<std::string> failures;           ///< "name: message" for each multiplier that failed
  double seconds = 0;
};

/// The folder of the built-in multipliers: $TRANSAXX_RTL_DIR, else the source tree's.
std::filesystem::path builtin_rtl_dir();

/// The items a build would characterize (folders and catalogs expanded, the built-in catalog
/// when empty).
/// Throws axx::Error "CHR-101" (missing input), "CHR-106" (no built-in folder), "CHR-107"
/// (duplicate names), "CHR-108" (folder without Verilog files), CAT-* (bad catalog).
std::vector<LibraryItem> collect_library_items(const std::vector<std::filesystem::path>& inputs);

/// Builds the library. Failures of single multipliers do not stop the others; they are listed
/// in the result and the index holds the multipliers that succeeded.
LibraryBuildResult build_library(const LibraryBuildOptions& options);

/// Throws axx::Error "CHR-104" listing the failed multipliers when a build had failures.
void check_build_failures(const LibraryBuildResult& result);

/// Rewrites library.json, library.csv and library.svg from records (Pareto flags, relative power).
Json write_library_index(const std::filesystem::path& out_dir, const std::vector<Json>& records,
                         const std::vector<std::string>& families);

/// Reads library.json (common/library_folder.hpp): an object {"multipliers": [entry objects], ...},
/// a bare array or bare names normalized to that shape. Throws LIB-001..005 naming the file.
Json load_library_index(const std::filesystem::path& dir);

/// The state of one library entry as `library check` finds it.
struct EntryCheck {
  std::string name;
  std::string status;  ///< "ok", "corrupted" (record or table unusable), "stale" (sources changed or gone)
  std::string detail;  ///< what is wrong and what to do ("" when ok)
};

/// Checks every entry of a library without running a tool: the record reads, its table is the one
/// it was characterized with (`lut_sha256`), and its Verilog sources still exist and hash to the
/// record's `rtl_sha256`. Throws LIB-001..005 when library.json itself is unusable.
std::vector<EntryCheck> check_library(const std::filesystem::path& dir);

/// `library` (library.json of `dir`) with each entry's error statistics (mean_error, error_std,
/// comp_mean_error) that library.json lacks taken from its record, else computed from its LUT;
/// left out where neither reads (never throws for an entry; LIB-001..005 for the index).
Json with_error_stats(const std::filesystem::path& dir, Json library);

/// A text table of the library (one row per multiplier): MAE%, WCE%, bias (mean error), error
/// standard deviation, bias after mean compensation (uniform operands), hardware; "-" where absent.
std::string format_library_table(const Json& library);

/// A Markdown table with one row per family: its Pareto-optimal instance saving the most power
/// (MAE %, area, power relative to exact).
std::string format_family_table(const Json& library);

}  // namespace axx::flows
