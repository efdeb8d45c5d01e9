// transaxx train — the search's accuracy evaluator over the emulator (search/evaluator.hpp).
//
// Loads the model once and calibrates it once per signedness: calibration observes every layer
// input with all layers in FP32 (emu::begin_calibration puts every approximable layer in FP32
// observation mode), so what is observed does not depend on the multipliers; only the range
// chosen from the observations depends on the multiplier's signedness (symmetric for signed,
// asymmetric for unsigned: emu::end_calibration). Each configuration therefore gets, per layer,
// the range calibrated for its multiplier's signedness — exactly what `transaxx eval --config`
// computes for that config with the same calibration images and method, without recalibrating.
// With method noise_aware an approximate layer's range (and operand histogram) also depends on
// its multiplier, but still not on the other layers: computed once per multiplier and layer
// (train::noise_aware_table), the same again as `transaxx eval --config` computes.
//
// Configurations are scored (top-1, fraction in [0, 1]) on a fixed subset of the test set:
// eval_images images drawn with data_seed, kept in dataset order. Scores are cached by the
// per-layer multiplier names, so a configuration seen before (by another algorithm, another
// seed in the same process) costs nothing. accuracy_full() scores on every test image (within
// data.limit): the re-evaluation of the final fronts.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "emulation/data/dataset.hpp"
#include "emulation/train/train.hpp"
#include "search/evaluator.hpp"
#include "search/model.hpp"

namespace axx::train {

struct SearchEvalOptions {
  RunOptions run;          ///< threads, images per forward (batch_size), seed = data seed, progress
  std::string model;       ///< model file (.safetensors)
  std::string preset;      ///< only for files without transaxx metadata
  data::DatasetSpec data{"fashion-mnist", "", "test", 0, 224};  ///< test set (limit applies)
  int64_t eval_images = 1000;   ///< test images scoring each configuration (0 or ≥ size: all)
  int64_t calib_images = 512;   ///< training images for calibration (load_calibration_set)
  std::string calibration;      ///< max | percentile | mse | entropy | noise_aware ("" = max)
  double percentile = 0;        ///< when > 0, percent in (50, 100]
  std::string library;          ///< multiplier library folder ("" = built-in exact ones only)
  /// Error compensation of every layer: "none" | "mean" ("" = none). The operand histograms are
  /// those of the calibration pass of the multiplier's signedness (all layers exact).
  std::string compensation;
};

class EmulatorEvaluator : public search::Evaluator {
 public:
  /// Loads model, test set, library; calibrates. MSR-009 negative eval images; TRN-*/EMU-*/VIT-*
  /// errors as the commands.
  explicit EmulatorEvaluator(const SearchEvalOptions& o);
  ~EmulatorEvaluator() override;

  /// Throws MSR-008 for a search space of another model.
  std::vector<double> evaluate(const search::SearchSpace& space, const std::vector<search::Config>& configs) override;
  std::vector<std::string> layer_names() const override;

  /// Top-1 with the given multipliers (layer → name; layers not listed: "exact") on the search
  /// subset, or on the whole test set with `full`. Cached. Throws MSR-005 for a layer the model
  /// lacks.
  double accuracy(const std::map<std::string, std::string>& layers, bool full = false);
  /// Top-1 on the search subset with one multiplier name per model layer (layer_names() order),
  /// as evaluate() scores a configuration. Cached.
  double subset_accuracy(const std::vector<std::string>& names);

  /// The model's Layers JSON without histograms (names, kinds, multiply counts per image).
  search::ModelLayers model_layers() const;
  std::string model_id() const;     ///< model_identifier(model file)
  int64_t subset_images() const;    ///< images per subset evaluation
  int64_t full_images() const;      ///< images per full evaluation
  int64_t emulations() const;       ///< evaluations actually run (cache misses), subset + full
  int64_t cache_hits() const;
  double emulation_seconds() const; ///< time spent in those evaluations

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace axx::train
