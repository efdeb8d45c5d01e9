// transaxx search — surrogate accuracy predictor.
//
// TransAxx (Danopoulos et al., arXiv 2402.07545, 2024) guides its tree search with a predictor
// of accuracy so that only promising configurations are emulated. Ours starts from the
// single-layer sensitivity table (additive drops, the model ALWANN's per-layer analysis rests on)
// and is refined with every measured configuration:
//
//   predicted accuracy = base − (w0 + w1·Σ d_l + w2·(Σ max(d_l, 0))² + w3·Σ κ·q_l)
//
// d_l is the single-layer drop of layer l's multiplier (measured; where the table lacks a pair it
// is imputed as κ_l·q_l from the layer's other pairs), q_l the multiplier's relative error power
// under layer l's operand distribution (LUT error mean and variance weighted by the operand
// histograms, space.hpp), κ the drop-per-noise ratio fitted on the table. The quadratic term
// captures errors that compound across layers. w is fitted by ridge regression shrunk towards
// the pure additive model (w = 0, 1, 0, 0), so with few measurements the table dominates.
#pragma once

#include <array>
#include <vector>

#include "search/space.hpp"

namespace axx::search {

class Surrogate {
 public:
  static constexpr int kFeatures = 4;
  /// `sensitivity` may be null: then drops are the error powers themselves and only the fit to
  /// measured configurations gives them a scale (and base accuracy is 1 until fitted).
  Surrogate(const SearchSpace& space, const SensitivityTable* sensitivity);

  double predict(const Config& c) const;
  /// Single-layer drop used for (layer, candidate), measured or imputed (fraction).
  double drop(size_t layer, int cand) const { return drops_[layer][size_t(cand)]; }
  double base_accuracy() const { return base_; }
  /// Refits w on all measured configurations given (replaces the previous fit). Deterministic.
  void fit(const std::vector<Config>& configs, const std::vector<double>& accuracies);
  const std::array<double, kFeatures>& weights() const { return w_; }
  std::array<double, kFeatures> features(const Config& c) const;

 private:
  const SearchSpace* space_;
  double base_ = 1.0;
  double kappa_ = 1.0;
  bool has_table_ = false;
  std::vector<std::vector<double>> drops_;
  std::vector<std::vector<double>> scaled_noise_;
  std::array<double, kFeatures> w_{0, 1, 0, 0};
};

/// Spearman rank correlation (average ranks for ties); 0 when fewer than 2 values or a constant
/// input. Throws SRC-020 when the sizes differ.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

/// Rank correlation between the surrogate's predictions and measured accuracies on held-out
/// configurations (configurations not used in fit()).
double surrogate_rank_correlation(const Surrogate& s, const std::vector<Config>& held_out,
                                  const std::vector<double>& measured);

}  // namespace axx::search
