// transaxx — C++ reference models of the built-in multiplier families, and the family table.
//
// Each model is written from its paper's definition of the arithmetic (leading-one detection
// and truncation for DRUM, the logarithm approximation for Mitchell, which partial products a
// broken array keeps, ...), not from the Verilog in this folder: exhaustive simulation of the
// RTL is compared against these models, so the two must stay independent descriptions.
//
// The family table is the one place that lists the families: their Verilog file and top per
// signedness, their knobs (Verilog parameters) with ranges, the paper, and the model. Adding a
// family means adding one row there, one Verilog file, and its catalog lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "multipliers_rtl/catalog.hpp"

namespace axx::mult {

/// One approximation knob: a Verilog parameter of the family's modules.
struct KnobSpec {
  std::string name;     ///< Verilog parameter name, e.g. "VBL"
  int64_t min = 0;      ///< smallest valid value, inclusive
  int64_t max = 0;      ///< largest valid value, inclusive
  std::string meaning;  ///< one line, with its unit
};

/// Knob values of one instance, looked up by name (validated before a model sees them). A view:
/// it refers to the ParamList it was made from and must not outlive it.
class Knobs {
 public:
  explicit Knobs(const ParamList& params) : params_(params) {}
  /// Value of knob `name`; throws axx::Error "CAT-018" when it is absent.
  int64_t at(std::string_view name) const;

 private:
  const ParamList& params_;
};

/// A model computes the family's arithmetic for raw 8-bit patterns a (activation) and b
/// (weight). The result may exceed 16 bits in intermediate form (Baugh-Wooley constants);
/// reference_product reduces it to the 16-bit output o.
using ModelFn = int64_t (*)(const Knobs& knobs, bool is_signed, uint8_t a, uint8_t b);
/// Joint constraints between knobs; returns an empty string when valid, else what is wrong.
using CrossCheckFn = std::string (*)(const Knobs& knobs);

/// A Verilog module implementing one signedness of a family; empty file: no such variant.
struct Variant {
  std::string file;  ///< relative to multipliers_rtl/, e.g. "bam.v"
  std::string top;   ///< e.g. "bam_u8"
};

struct FamilySpec {
  std::string name;      ///< catalog family name, e.g. "bam"
  std::string title;     ///< short human name, e.g. "broken-array multiplier"
  std::string citation;  ///< authors, title, venue, year
  Variant unsigned_variant;
  Variant signed_variant;
  std::vector<KnobSpec> knobs;
  ModelFn model = nullptr;
  CrossCheckFn cross_check = nullptr;  ///< nullptr: knobs are independent
};

/// The family table (see the file comment).
const std::vector<FamilySpec>& family_table();
/// The row named `name`, or nullptr.
const FamilySpec* find_family(std::string_view name);
/// The row named `name`; else throws axx::Error "CAT-004" listing the valid families. `where`
/// ("catalog.csv:12") names the catalog line whose field 'family' it is, when there is one.
const FamilySpec& family_or_throw(std::string_view name, const std::string& where = {});
/// Throws axx::Error "CAT-018": parameter `name` is not given; `family` (nullptr when not
/// known) names the family and its parameters.
[[noreturn]] void throw_missing_parameter(std::string_view name, const FamilySpec* family);

/// The value the LUT stores for the raw patterns a and b: the signed value of the 16-bit
/// output o for signed designs (a and b read as int8), the unsigned value otherwise.
/// Throws axx::Error "CAT-004" for an unknown family, "CAT-018" for a missing knob.
int32_t reference_product(const CatalogEntry& e, uint8_t a, uint8_t b);

/// All 65,536 products, row-major: index a * 256 + b (row = activation, column = weight), the
/// layout of the LUT file. Validates the entry's knobs first (validate_params).
std::vector<int32_t> reference_lut(const CatalogEntry& e);

/// Error of a LUT against the exact product, with EvoApproxLib's definitions: MAE% and WCE%
/// divide by 2^16 for signed and unsigned alike; EP% is the share of pairs with any error.
/// Used by tests and docs; the characterize flow measures the simulated RTL itself.
struct ErrorSummary {
  double mae = 0;         ///< mean |approx - exact|
  double mae_pct = 0;     ///< mae / 2^16 * 100
  int64_t wce = 0;        ///< max |approx - exact|
  double wce_pct = 0;     ///< wce / 2^16 * 100
  double mean_error = 0;  ///< mean (approx - exact): the bias
  double ep_pct = 0;      ///< share of pairs with approx != exact, in percent
};
ErrorSummary summarize_error(const std::vector<int32_t>& lut, bool is_signed);

}  // namespace axx::mult
