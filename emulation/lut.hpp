// transaxx emulation — multipliers as the emulator sees them: a name, a signedness and a
// 256×256 product table (docs/architecture.md "LUT file"), plus the library that maps names to them.
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "emulation/lut_gemm.hpp"

namespace axx::emu {

/// One 8-bit multiplier. Immutable after construction; share it freely.
struct Multiplier {
  std::string name;
  /// true: operands and product are two's complement (symmetric int8 quantization);
  /// false: plain binary (asymmetric uint8 quantization with zero points).
  bool is_signed = true;
  /// Where the table came from ("" for built-ins).
  std::string lut_path;
  /// The table, prepared for the CPU kernels (never null).
  std::shared_ptr<const PreparedLut> table;

  /// True when the table is the exact product for this signedness.
  bool is_exact() const { return is_signed ? table->is_exact_signed() : table->is_exact_unsigned(); }
  /// The table as an int32 CPU tensor of shape [256, 256] (a copy).
  at::Tensor lut_tensor() const;
};

/// Throw EMU-002 (a LUT whose dtype is not int32 '<i4') and EMU-003 (a LUT whose shape is not
/// (256, 256) in C order) with `message`, which names the table and the fix.
[[noreturn]] void bad_lut_dtype(const std::string& message);
[[noreturn]] void bad_lut_shape(const std::string& message);
/// Throws EMU-011: `name` is not a multiplier (`where` says of which library, may be empty),
/// listing the valid names.
[[noreturn]] void unknown_multiplier(const std::string& name, const std::string& where,
                                     const std::vector<std::string>& valid);

/// The exact 8-bit multiplier of the given signedness, named "exact_s8" / "exact_u8".
std::shared_ptr<const Multiplier> make_exact_multiplier(bool is_signed);

/// A multiplier from an int32 tensor of shape [256, 256] (lut[a][b], a = activation code).
/// Throws EMU-002 (dtype), EMU-003 (shape), EMU-004 (an entry outside the 16-bit product range
/// of the signedness), naming `name`.
std::shared_ptr<const Multiplier> make_multiplier(const std::string& name, bool is_signed,
                                                  const at::Tensor& lut);

/// Reads a LUT .npy (docs/architecture.md: '<i4', shape (256, 256), C order) with lib::read_lut_file.
/// Throws LIB-011 (missing), LIB-012 (not a .npy), LIB-013 (dtype), LIB-014 (shape), EMU-004
/// (range), naming the file.
std::shared_ptr<const Multiplier> load_multiplier(const std::string& name, bool is_signed,
                                                  const std::filesystem::path& npy,
                                                  const std::string& expected_sha256 = "");

/// A multiplier library folder (docs/library-format.md, read by common/library_folder.hpp):
/// `library.json` lists the multipliers, each described by its record `<name>.json` (fields
/// `signed` and `lut`, the .npy path, relative to the folder unless absolute). Tables are read on
/// first use.
/// The built-ins "exact" (= exact_s8), "exact_s8" and "exact_u8" are always present.
class MultiplierLibrary {
 public:
  /// Only the built-ins.
  MultiplierLibrary();
  /// Reads `<dir>/library.json` and the records it lists. Accepted shapes: an array of names or
  /// of records, or an object whose "multipliers" member is such an array. Throws LIB-001..010
  /// (folder or library.json missing, a malformed index, entry or record), naming file and field.
  static MultiplierLibrary load(const std::filesystem::path& dir);

  /// Every name `get` accepts, sorted.
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  /// Throws EMU-011 for an unknown name, listing the valid ones; LIB-011..014 or EMU-004 for a
  /// bad table.
  std::shared_ptr<const Multiplier> get(const std::string& name) const;

 private:
  struct Entry {
    bool is_signed = true;
    std::filesystem::path lut;
    std::string lut_sha256;  ///< the record's; the table read must be this one ("" = not recorded)
    mutable std::shared_ptr<const Multiplier> loaded;
  };
  std::filesystem::path dir_;
  std::map<std::string, Entry> entries_;
  mutable std::shared_ptr<std::mutex> mutex_ = std::make_shared<std::mutex>();
};

/// "a, b, c" — for error messages that list valid names.
std::string join_names(const std::vector<std::string>& names);

}  // namespace axx::emu
