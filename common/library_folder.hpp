// transaxx — the one reader and writer of multiplier library folders (docs/library-format.md).
//
// A library folder holds `library.json` (the list of multipliers), one record `<name>.json` per
// multiplier (what `transaxx library build` measured) and its LUT `<name>.npy` (256×256 '<i4',
// lut[a][b], row = activation code). Every part that reads a library (emulation, search, hwgen,
// the `library` commands, the flow) goes through these functions; each part keeps its own types
// and fills them from MultiplierRecord.
//
// Errors are axx::Error "LIB-NNN" naming the file and the field, what was expected and what to do:
//   LIB-001 no library.json in the folder      LIB-008 a record is not a JSON object
//   LIB-002 library.json is not valid JSON     LIB-009 a field is missing
//   LIB-003 library.json has the wrong shape   LIB-010 a field has the wrong type
//   LIB-004 an entry is neither name nor object LIB-011 a LUT file is missing
//   LIB-005 a name is listed twice             LIB-012 a LUT file is not a readable .npy
//   LIB-006 a listed multiplier has no record  LIB-013 a LUT's dtype is not '<i4'
//   LIB-007 a record is not valid JSON         LIB-014 a LUT's shape is not (256, 256), C order
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.hpp"

namespace axx::lib {

/// Error metrics of a record (field "error"); unset when the record lacks the field.
struct ErrorFields {
  std::optional<double> mae, mae_pct, wce, wce_pct, mre_pct, wcre_pct, ep_pct, mse, mean_error;
  /// Error standard deviation and the bias left after mean compensation under uniform operands
  /// (characterize/error_metrics.hpp); unset in records characterized before they existed.
  std::optional<double> error_std, comp_mean_error;
};

/// Hardware figures of a record (field "hw"); unset when the record lacks the field.
struct HwFields {
  std::optional<double> area_um2, delay_ns, power_uw, leakage_uw, energy_pj_per_op;
  std::optional<int64_t> cells;
};

/// One multiplier record (`<name>.json`, or an inline entry of library.json).
struct MultiplierRecord {
  std::filesystem::path file;  ///< the file it was read from (library.json for an inline entry)
  std::string name;            ///< "name"; the file's stem (or the entry's name) when absent
  std::string family;          ///< the library.json entry's "family", else the record's, else ""
  std::optional<std::string> top;  ///< Verilog top module ("top")
  bool is_signed = false;          ///< "signed" (required)
  int width_a = 8, width_b = 8, width_o = 16;  ///< "width_a/b/o" (defaults 8, 8, 16)
  std::vector<std::string> sources;  ///< "sources", else ["source"], else empty (as written)
  /// "params": Verilog parameter overrides in record order (non-string values as JSON text).
  std::vector<std::pair<std::string, std::string>> params;
  std::string port_a = "a", port_b = "b", port_o = "o";  ///< "ports" {a, b, o}
  /// "lut", resolved against the library folder (absolute, normalized); `<name>.npy` when absent.
  std::filesystem::path lut;
  std::string lut_sha256, rtl_sha256, inputs_sha256;  ///< "" when absent
  ErrorFields error;
  HwFields hw;
  Json tech, stimulus, tools;  ///< null when absent
  Json json;                   ///< the record as read, for fields not typed here

  /// Throws LIB-009 naming the file and `field`: the record lacks a field `needed_for` requires.
  [[noreturn]] void missing_field(std::string_view field, std::string_view needed_for) const;
  /// The value of an optional field a caller requires (LIB-009 when absent).
  template <class T>
  const T& need(const std::optional<T>& v, std::string_view field, std::string_view needed_for) const {
    if (!v) missing_field(field, needed_for);
    return *v;
  }
};

/// One entry of library.json.
struct IndexEntry {
  std::string name;
  std::string field;            ///< where it is in library.json: "multipliers[3]" (or "[3]" in a bare array)
  std::string family;           ///< "" when the entry has none
  std::filesystem::path record; ///< <folder>/<entry "record", else name + ".json">
  Json json;                    ///< the entry as an object (a bare name becomes {"name": name})
};

/// library.json. Accepted shapes: an array of entries, or an object whose "multipliers" member is
/// such an array (other members, e.g. "version", "tech", are kept). An entry is a name or an object
/// with a string "name" (optionally "record", "family", "signed", "lut" and summary figures).
struct LibraryIndex {
  std::filesystem::path dir;   ///< the folder as given
  std::filesystem::path file;  ///< dir / "library.json"
  /// library.json as an object {"multipliers": [entry objects], ...}: an object file as it is,
  /// with bare-name entries turned into {"name": ...}; a bare array wrapped.
  Json json;
  std::vector<IndexEntry> entries;  ///< in file order

  const IndexEntry* find(const std::string& name) const;  ///< nullptr when absent
  std::vector<std::string> names() const;                 ///< in file order
};

/// The index and every record it lists (records[i] belongs to index.entries[i]).
struct LibraryFolder {
  LibraryIndex index;
  std::vector<MultiplierRecord> records;
};

/// Reads <dir>/library.json (LIB-001..005). Records and LUTs are not read.
LibraryIndex read_index(const std::filesystem::path& dir);

/// The record of one entry: the record file when it exists; else, when the entry itself carries
/// "signed" and "lut" (a hand-made library), the entry; else LIB-006. The LUT is resolved against
/// the library folder; a record without "lut" takes the entry's, else `<name>.npy`.
MultiplierRecord read_entry_record(const LibraryIndex& index, const IndexEntry& entry);

/// read_index + read_entry_record for every entry (LUTs are not read).
LibraryFolder read_library(const std::filesystem::path& dir);

/// Reads one record file; its "lut" is resolved against the record's folder (LIB-007..010).
MultiplierRecord read_record(const std::filesystem::path& path);

/// The record as JSON: `record.json` with the typed fields written over it (the LUT path relative
/// to the record's folder when it lies inside it).
Json to_json(const MultiplierRecord& record);

/// Checks a record (as read_record would) and writes it atomically (temp file + rename).
void write_record(const std::filesystem::path& path, const Json& record);
void write_record(const std::filesystem::path& path, const MultiplierRecord& record);

/// Checks an index (as read_index would) and writes <dir>/library.json atomically.
void write_index(const std::filesystem::path& dir, const Json& index);

/// The record's LUT: 65,536 products, lut[a * 256 + b] (LIB-011..014 naming the record and file;
/// LIB-015 when the file's SHA-256 is not the record's `lut_sha256`).
std::vector<int32_t> read_lut(const MultiplierRecord& record);
/// A LUT file (LIB-011..014 naming the file); with `expected_sha256` (a record's `lut_sha256`)
/// also LIB-015 when the file is not that table.
std::vector<int32_t> read_lut_file(const std::filesystem::path& npy, const std::string& expected_sha256 = "");

}  // namespace axx::lib
