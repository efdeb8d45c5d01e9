// transaxx emulation — the model-level API: apply an approximation config (docs/architecture.md
// "Approximation config") to a module tree by dotted layer name, and calibrate it.
//
//   auto lib = MultiplierLibrary::load(cfg.library);
//   apply_config(*model, cfg, lib);            // every Approx* layer gets its multiplier
//   begin_calibration(*model);
//   for (batch : calibration set) model->forward(batch);
//   auto cal = end_calibration(*model, cfg.calibration);   // ranges set
//   begin_histograms(*model);                  // second pass: operand-A code histograms
//   for (batch : calibration set) model->forward(batch);
//   end_histograms(*model, cal);               // for "mean" compensation; save_calibration(...)
//   model->forward(x);                          // now approximate
#pragma once

#include <torch/nn/module.h>

#include <filesystem>
#include <map>
#include <string>

#include "common/json.hpp"
#include "emulation/calibrate.hpp"
#include "emulation/layers.hpp"
#include "emulation/lut.hpp"

namespace axx::emu {

/// {"version": 1, "library": "<dir>", "default": "exact", "layers": {"<name>": "<mult>"},
///  "quant": {"weights": "per_channel"|"per_tensor", "calibration": "max"|"percentile"|"mse"|
///            "entropy", "percentile": 99.99},
///  "compensation": "none"|"mean"}
/// A layer entry is a multiplier name or {"multiplier": "<mult>", "compensation": "none"|"mean"}
/// (the layer's own compensation mode; compensation.hpp).
/// Multiplier names: any in the library, the built-ins exact/exact_s8/exact_u8, or "fp32"
/// (the layer is not quantized).
struct ApproxConfig {
  int version = 1;
  std::string library;                         ///< folder; "" = built-ins only
  std::string default_multiplier = "exact";    ///< for layers not listed
  std::map<std::string, std::string> layers;   ///< dotted layer name → multiplier name
  Compensation compensation = Compensation::none;        ///< for layers without their own
  std::map<std::string, Compensation> layer_compensation;  ///< per-layer modes (object entries)
  WeightGranularity weights = WeightGranularity::per_channel;
  CalibrationSettings calibration;
};

/// Throws EMU-050 naming `where` and the bad field, EMU-070 for an unknown compensation mode,
/// EMU-073 for a layer object without a multiplier name.
ApproxConfig parse_config(const Json& j, const std::string& where = "config");
/// Reads and parses a config file (library path relative to the file's folder unless absolute).
ApproxConfig load_config(const std::filesystem::path& path);
Json to_json(const ApproxConfig& c);

/// The approximable layers under root, by dotted name (root itself is "").
std::map<std::string, ApproxLayer*> approximable_layers(torch::nn::Module& root);

/// Sets name, multiplier, weight granularity and compensation mode of every approximable layer. Config layer names
/// that are not approximable layers throw EMU-051 listing the valid names (and saying so when
/// the name is a plain torch::nn layer); unknown multipliers throw EMU-011 listing the library.
/// Calibrated ranges already on a layer are kept.
void apply_config(torch::nn::Module& root, const ApproxConfig& c, const MultiplierLibrary& lib);

/// Switches every approximable layer to FP32 observation with fresh observers.
void begin_calibration(torch::nn::Module& root);
/// Ends observation: computes each layer's ranges with `s` and stores them on the layers.
/// Method noise_aware also sets, for each layer on an approximate multiplier, the operand-A code
/// histogram (r.hist_a, the layer's hist_a) from the FP32 observation under the layer's range;
/// end_histograms keeps it. `keep_observers`: the observations stay, so another config applied to
/// the same model (apply_config) can be given its ranges without observing again.
/// Throws EMU-040 when a layer saw no data (the calibration set was empty).
CalibrationResult end_calibration(torch::nn::Module& root, const CalibrationSettings& s,
                                  bool keep_observers = false);
/// Installs saved ranges and operand-A histograms (a layer named in r.ranges without a histogram
/// in r.hist_a gets none). Throws EMU-052 for a layer name the model lacks, EMU-053 for a wrong
/// input count.
void apply_calibration(torch::nn::Module& root, const CalibrationResult& r);

/// The histogram pass of calibration, after end_calibration (ranges fixed): every quantized layer
/// records its operand-A codes over the following forwards, with compensation off.
void begin_histograms(torch::nn::Module& root);
/// Ends it: each quantized layer's histogram goes into r.hist_a and onto the layer (hist_a), except
/// for layers r.hist_a already holds (noise_aware's approximate layers, end_calibration). FP32
/// layers and layers no forward reached record none.
void end_histograms(torch::nn::Module& root, CalibrationResult& r);

}  // namespace axx::emu
