// transaxx search — what the search needs to know about the model: its approximable layers with
// their multiply counts and operand statistics, and the per-(layer, multiplier) sensitivity.
//
// Both come from the model side later ('transaxx sensitivity', the emulator's layer walk); here
// they are plain structs with a JSON form so that the search can be developed and tested alone.
//
// Layers JSON:
//   {"version": 1, "model": "vit_fmnist",
//    "layers": [{"name": "blocks.0.attn.qkv", "macs": 3686400,
//                "operands": {"a_s8": [256 counts], "b_s8": [...], "a_u8": [...], "b_u8": [...]}}]}
//   "operands" and each histogram are optional.
// Sensitivity JSON:
//   {"version": 1, "model": "vit_fmnist", "metric": "top1", "base_accuracy": 0.912,
//    "drops": {"blocks.0.attn.qkv": {"bam_s8_v6": 0.0031, ...}, ...}}
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"

namespace axx::search {

/// Operand histograms of one layer over raw 8-bit patterns (index = pattern, so for signed
/// codes index 255 is −1), as seen by the layer's quantizer on a calibration set. A signed and
/// an unsigned multiplier see different codes, hence two pairs; each vector is empty (unknown:
/// uniform is assumed) or has 256 non-negative counts.
struct OperandStats {
  std::vector<double> a_s8, b_s8;  ///< activation / weight codes, signed quantization
  std::vector<double> a_u8, b_u8;  ///< activation / weight codes, unsigned quantization
};

struct LayerInfo {
  std::string name;  ///< dotted module path (docs/architecture.md "Layer names")
  int64_t macs = 0;  ///< multiplications per inference (one image), ≥ 1
  OperandStats operands;
};

struct ModelLayers {
  std::string model;  ///< model identifier, e.g. "vit_fmnist"; "" = unnamed
  std::vector<LayerInfo> layers;

  int find(const std::string& name) const;
  std::vector<std::string> names() const;
};

/// Throws SRC-004 naming the field (empty list, repeated name, macs < 1, histogram not 256 long).
ModelLayers parse_model_layers(const Json& j, const std::string& where = "layers");
ModelLayers load_model_layers(const std::filesystem::path& path);
Json to_json(const ModelLayers& m);

/// Single-layer accuracy drops: drop = base_accuracy − accuracy with only that layer approximated
/// by that multiplier (accuracy as a fraction in [0, 1]; a drop may be slightly negative).
struct SensitivityTable {
  std::string model;
  std::string metric = "top1";
  double base_accuracy = 0;                                    ///< all-exact 8-bit accuracy, fraction in [0, 1]
  std::map<std::string, std::map<std::string, double>> drops;  ///< layer → multiplier → drop

  std::optional<double> drop(const std::string& layer, const std::string& mult) const;
};

/// Throws SRC-025 naming the field when malformed. Also reads the output of `transaxx
/// sensitivity` as it is (a "rows" list: drop = drop_top1, base = baseline.exact8_top1, model =
/// model_id), so that file can be passed to the search directly.
SensitivityTable parse_sensitivity(const Json& j, const std::string& where = "sensitivity");
SensitivityTable load_sensitivity(const std::filesystem::path& path);
Json to_json(const SensitivityTable& s);

/// Checks that every layer named in `s` exists in `m` (and that the model names agree when both
/// are set): SRC-007 when the model names differ, SRC-026 listing the valid layer names when it
/// names a layer the model lacks. Either way the table belongs to another model.
void check_sensitivity_matches(const SensitivityTable& s, const ModelLayers& m);

/// "a, b, c" (first 40 names, then "… and N more").
std::string join_names(const std::vector<std::string>& names);

}  // namespace axx::search
