// transaxx search — synthetic search problems with a known ground truth, for tests and
// benchmarks while the real evaluator (a ViT under emulation) does not exist.
//
// The "model" is a small ViT's layer list (docs/architecture.md names, multiply counts from its shapes);
// the accuracy of a configuration is a closed-form function shaped like measured ViT behaviour:
//   acc = base − Σ_l d_l − η·(Σ_l d_l)² − ρ·Σ_adjacent √(d_l·d_{l+1}) + noise(config)
// with d_l = 3·s_l·√q_l (layer sensitivity s_l, log-normally spread and larger for attention
// products, patch embedding and head; q_l the multiplier's relative error power), errors that
// compound (η), neighbouring layers that interact (ρ), and a deterministic ± noise per
// configuration standing for a finite test set. The sensitivity table is what `transaxx
// sensitivity` would measure: base − acc with one layer approximated, noise included.
//
// With bias_gain > 0 the toy also has accumulation, as the real ViT does: each multiplier's mean
// error β_m = mean_error / E[x²] (relative to the uniform signal) adds up along the network,
// B = Σ_l β_l, and costs (base − 0.1)·(1 − exp(−bias_gain·B²)) more. A biased design then costs
// almost nothing on any single layer but collapses the model when it is on many layers
// (bam_s8_v6 on the Fashion-MNIST ViT: ≈ 0 pt on one layer, −13 pts on all).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "search/library.hpp"
#include "search/model.hpp"
#include "search/space.hpp"

namespace axx::search {

struct ToyOptions {
  int blocks = 4;   ///< transformer blocks (6 layers each) + patch_embed + head
  int dim = 64;     ///< embedding width
  int tokens = 17;  ///< tokens per image (16 patches + class token)
  uint64_t seed = 1;
  double base_accuracy = 0.90;
  double sensitivity_scale = 0.02;  ///< typical s_l (accuracy fraction per √noise)
  double eta = 2.0;                 ///< compounding coefficient
  double rho = 0.15;                ///< neighbour interaction coefficient
  double noise = 0.0005;            ///< ± evaluation noise amplitude (fraction)
  int max_layers = 0;               ///< keep only the first N layers (small enumerable spaces); 0 = all
  double bias_gain = 0.0;           ///< accumulation of the multipliers' bias along the network; 0 = additive toy
};

/// The toy with accumulation (bias_gain 40: with the toy library's biases a biased design on one
/// layer costs < 0.5 pt, on every layer of a 6-block ViT it collapses the model).
ToyOptions accumulation_toy_options(ToyOptions o = {});

struct ToyProblem {
  MultiplierLibrary library;
  ModelLayers model;
  SensitivityTable sensitivity;
  std::vector<double> layer_sensitivity;  ///< s_l
  ToyOptions options;

  /// Ground-truth accuracy of a configuration of `space` (which must be built on this problem).
  double accuracy(const SearchSpace& space, const Config& c) const;
  /// The same for explicit library indices per layer.
  double accuracy_of(const std::vector<int>& mult_per_layer) const;
};

/// Synthetic library: exact_s8 plus `n` approximate signed multipliers on a realistic
/// energy–error curve (energy from 0.2 to 0.9 of exact, MAE% from 2 % down to 0.01 %), a few of
/// them deliberately dominated so pruning has work to do. No files: records live in memory.
/// With `mixed_bias`, every second design is unbiased (mean error 0, like DRUM or SSM) and 8 %
/// costlier, the others biased (mean error −MAE/2, like BAM or Booth truncation): the library of
/// the toy with accumulation.
MultiplierLibrary make_toy_library(int n, uint64_t seed, bool mixed_bias = false);

/// A toy problem on `lib` (synthetic or a real library folder loaded by the caller).
ToyProblem make_toy_problem(MultiplierLibrary lib, const ToyOptions& o);

/// Every configuration of a small space with its measured accuracy → the true Pareto front
/// (power ascending). Throws SRC-021 when the space has more than `limit` configurations.
struct ExactFront {
  std::vector<Config> configs;
  std::vector<double> power, accuracy;
};
ExactFront enumerate_front(const SearchSpace& space, const ToyProblem& p, uint64_t limit = 2000000);

}  // namespace axx::search
