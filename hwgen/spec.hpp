// transaxx — what the systolic-array generator is asked to build: the array's parameters, the
// multipliers (modes) its processing elements hold, and the per-layer schedule.
//
// A design is built for one approximation config (docs/architecture.md, "Approximation config"): every
// distinct multiplier the config uses becomes one mode of the array; each processing element
// (PE) holds all of them and a mode register picks one per layer. The schedule says which
// layer of the model runs in which mode and how it is tiled onto the array.
//
// Errors are axx::Error with codes "HWG-NNN", one condition each:
//   HWG-001 rows/cols out of range          HWG-002 accumulator width out of range
//   HWG-003 accumulator too narrow for K    HWG-004 multiplier not in the library (lists names)
//   HWG-005 signed and unsigned mixed       HWG-006 config is not a JSON object
//   HWG-007 unknown dataflow                HWG-008 record not 8x8->16 bits or its Verilog missing
//   HWG-009 unknown built-in model          HWG-010 library folder does not exist
//   HWG-011 config version not supported    HWG-012 no library given (argument or config)
//   HWG-013 config "layers" is not a map of names   HWG-014 mode count not in 1..64
//   HWG-015 stream memory depth out of range        HWG-016 clock not > 0
//   HWG-017 testbench tiles per mode out of range (generator.hpp)
//   HWG-018 bad layer-shape file            HWG-019 config names a layer the model lacks
//   HWG-020 a multiplier's Verilog source cannot be read when copying it (design_folder.hpp)
//   HWG-030 compensation table not 256 entries (golden.hpp)
//   HWG-031 compensation table entry outside the hardware's 17-bit range (golden.hpp)
//   HWG-032 unknown "compensation" value in the config (top level or a layer)
//   HWG-033 a layer's object form lacks a "multiplier" name or has an unknown key
//   A malformed library record or LUT is LIB-* (common/library_folder.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/json.hpp"

namespace axx::hwgen {

enum class Dataflow {
  kWeightStationary,  ///< "ws": weights held in the PEs, activations stream right, sums flow down
  kOutputStationary,  ///< "os": sums held in the PEs, activations stream right, weights stream down
};
/// "ws" / "os".
std::string dataflow_name(Dataflow d);
/// Parses "ws" / "os"; throws "HWG-007" naming the valid values otherwise.
Dataflow parse_dataflow(const std::string& s);

/// The array's shape and arithmetic. All widths in bits, depths in words.
struct ArrayParams {
  int rows = 4;  ///< PE rows, 1..256. WS: the tile's reduction length K; OS: the tile's M
  int cols = 4;  ///< PE columns, 1..256: the tile's N (output columns) in both dataflows
  Dataflow dataflow = Dataflow::kWeightStationary;
  int acc_bits = 32;      ///< accumulator width, 16 + ceil(log2 K) .. 32 (sums wrap modulo 2^acc_bits)
  bool is_signed = true;  ///< operands and products two's complement (taken from the multipliers)
  /// Depth of the streamed operand memory: WS, the largest tile M (rows of A per tile);
  /// OS, the largest tile K. 1..65536 words.
  int stream_depth = 64;
  double clock_mhz = 100;  ///< clock for time and power figures, MHz, > 0 (100: the library build's default)
  /// Control-variate compensation hardware (COMPENSATION.md): a 256-entry table written by the
  /// host per layer, one lookup per weight (B) code entering each column, a per-column
  /// correction register that starts the column's sums (WS) or is added as they drain (OS).
  /// build_spec turns it on when a layer on the array asks for "mean" compensation.
  bool compensation = false;
};

/// Bits of one compensation-table entry in the hardware: min(acc_bits, 17). Every table of the
/// contract fits 17-bit two's complement (|t| <= max |lut - exact| < 2^16); a narrower accumulator
/// only needs the entry modulo 2^acc_bits.
int comp_table_bits(const ArrayParams& a);

/// One multiplier the array holds (one mode), from a library record.
struct MultiplierSpec {
  std::string name;                                         ///< record name, e.g. "bam_s8_v4"
  std::string top;                                          ///< Verilog module to instantiate
  std::vector<std::pair<std::string, std::string>> params;  ///< Verilog parameter overrides, in record order
  std::vector<std::filesystem::path> sources;               ///< Verilog files defining `top` and its submodules
  std::string port_a, port_b, port_o;                       ///< activation, weight and product ports
  bool is_signed = false;
  std::vector<int32_t> lut;     ///< 65,536 products, lut[a * 256 + b] (docs/architecture.md LUT contract)
  double energy_pj_per_op = 0;  ///< the record's hw.energy_pj_per_op (standalone multiplier)
  double area_um2 = 0;          ///< the record's hw.area_um2
};

/// A GEMM of a model layer: out[M][N] = A[M][K] · W[K][N], `count` times (attention heads).
struct LayerShape {
  std::string name;  ///< timm-style dotted name, e.g. "blocks.3.mlp.fc1"
  int64_t m = 0, k = 0, n = 0;
  int64_t count = 1;  ///< independent GEMMs of this shape (e.g. one per head)
};

/// One scheduled layer: the mode it runs in (-1: fp32, runs on the host, not on the array).
struct ScheduleEntry {
  LayerShape shape;
  std::string multiplier;  ///< record name, "fp32" for host layers
  int mode = -1;
  std::string compensation = "none";  ///< "none" or "mean" (COMPENSATION.md); "none" for host layers
};

/// Everything the emitters need.
struct DesignSpec {
  ArrayParams array;
  std::vector<MultiplierSpec> modes;    ///< mode i = modes[i]; at least one
  std::vector<ScheduleEntry> schedule;  ///< model layers in order
  std::string model;                    ///< name of the layer-shape table used ("" = none)
  Json config;                          ///< the approximation config as given
};

/// Width of the mode register: ceil(log2(modes)), at least 1.
int mode_bits(const DesignSpec& spec);

/// Bits a sum of `k` 16-bit products needs: 16 + ceil(log2 k).
int required_acc_bits(int64_t k);

/// Checks rows, cols, acc_bits (against rows and every scheduled layer's K), stream depth,
/// clock, mode count and signedness. Throws the HWG codes above.
void validate(const DesignSpec& spec);

/// Reads one record `<library>/<name>.json` and its LUT (common/library_folder.hpp). "exact"
/// resolves to exact_s8 or exact_u8 by `is_signed`. Throws "HWG-004" listing the library's names
/// when absent, LIB-* when the record or LUT is malformed or lacks "top"/"sources", "HWG-008" when
/// the multiplier is not 8x8->16 bits or a Verilog source is missing.
MultiplierSpec load_multiplier(const std::filesystem::path& library, const std::string& name, bool is_signed);

/// Names of the records in a library folder (library.json when present, else *.json records).
std::vector<std::string> library_names(const std::filesystem::path& library);

/// Layer shapes of a built-in model ("vit_tiny_patch16_224", "vit_small_patch16_224",
/// "vit_base_patch16_224"; batch 1). Throws "HWG-009" listing the names otherwise.
std::vector<LayerShape> model_layers(const std::string& model);
/// Names of the built-in models.
std::vector<std::string> model_names();
/// Reads a layer-shape file: {"layers": [{"name": ..., "m": M, "k": K, "n": N, "count": 1}, ...]}.
/// Throws "HWG-018" when it has another form or a dimension < 1.
std::vector<LayerShape> read_layer_file(const std::filesystem::path& path);

/// Builds the spec from a config: modes = the default multiplier first, then the other
/// multipliers in order of first use; the schedule maps every layer of `layers` to its mode.
/// "layers" maps a name to a multiplier name or to {"multiplier": name, "compensation": "none" |
/// "mean"}; the top-level "compensation" is every layer's default ("none" when absent). The
/// array gets compensation hardware (ArrayParams::compensation) when `array` asks for it or a
/// layer on the array (with no layer table: any non-fp32 layer or the default) uses "mean".
/// HWG-032 for an unknown compensation value, HWG-033 for a malformed layer object.
/// Signedness comes from the multipliers ("exact" follows them; all-exact configs use
/// `array.is_signed`). The config's "library" is used when `library` is empty. Throws HWG codes.
DesignSpec build_spec(const Json& config, std::filesystem::path library, const ArrayParams& array,
                      const std::vector<LayerShape>& layers, const std::string& model_name);

}  // namespace axx::hwgen
