// transaxx search — surrogate accuracy predictor.
//
// TransAxx (Danopoulos et al., arXiv 2402.07545, 2024) guides its tree search with a predictor
// of accuracy so that only promising configurations are emulated. Ours starts from the
// single-layer sensitivity table (additive drops, the model ALWANN's per-layer analysis rests on),
// adds what the table cannot see — errors that accumulate along the network — and is refined
// with every measured configuration:
//
//   predicted drop D = w1·Σ d⁺_l + w2·(Σ d⁺_l)² + w3·Σ κ·q_l + w4·(Σ |β_l|)²,  d⁺ = max(d, 0)
//   predicted accuracy = link(base − D)
//
// d_l is the single-layer drop of layer l's multiplier (measured; where the table lacks a pair it
// is imputed as κ_l·q_l from the layer's other pairs). A negative measured drop (a layer that
// "gains" from its error) is sampling noise of the table's images, not a gain: in the demo's
// table half of the 330 pairs measure below 0, and summed over a dense configuration they
// outweighed its real drop (Spearman ρ on dense held-out configurations 0.82 with signed drops,
// 0.93 with d⁺; search/README.md), so the predictor counts d⁺. q_l and β_l the multiplier's relative
// error power and bias (E[approx − exact] / signal) under layer l's real operand histograms
// (space.hpp), κ the drop-per-noise ratio fitted on the table. The quadratic terms are the
// interaction: errors that compound (w2), and per-product bias that adds up over the layers
// (w4: a design whose bias costs nothing on one layer collapses the model on all of them).
// There is no intercept: all-exact predicts `base`, the measured exact accuracy (the table's,
// or the all-exact configuration's when it was measured). The link is the identity down to
// 10 % of base and an exponential tail below, so predictions stay in [0, 1] (and in (0, 1] when
// D is finite). w ≥ 0 (non-negative ridge regression, shrunk towards the additive model
// w = 1, 0, 0, 0), so the prediction never rises when a layer gets more error. Measurements at
// the accuracy floor (collapsed models) are censored: they only pull predictions down.
#pragma once

#include <array>
#include <vector>

#include "search/space.hpp"

namespace axx::search {

class Surrogate {
 public:
  /// Feature 0 is the intercept slot, kept at 0 (the exact anchor).
  static constexpr int kFeatures = 5;
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
  /// Predicted drop D of `c` (before the link).
  double predicted_drop(const Config& c) const;
  /// Bias of (layer, candidate) relative to the signal, |β| (space.hpp).
  double bias(size_t layer, int cand) const { return bias_[layer][size_t(cand)]; }
  /// Marginal predicted drop of putting candidate `cand` on `layer`, linearized around a
  /// configuration whose Σ max(d, 0) is `pos_level` and Σ |β| is `bias_level` (the hardware-driven
  /// policy of the tree search: per layer, how much accuracy this multiplier costs there given
  /// what the rest of the network already carries).
  double marginal_drop(size_t layer, int cand, double pos_level, double bias_level) const;
  /// The anchor: predicted accuracy of all-exact.
  void set_base_accuracy(double base) { base_ = base; }

 private:
  const SearchSpace* space_;
  double base_ = 1.0;
  double table_base_ = 1.0;
  double kappa_ = 1.0;
  bool has_table_ = false;
  std::vector<std::vector<double>> drops_;
  std::vector<std::vector<double>> scaled_noise_;
  std::vector<std::vector<double>> bias_;
  std::array<double, kFeatures> w_{0, 1, 0, 0, 0};
  double link(double drop) const;
  double unlink(double acc) const;
};

/// Spearman rank correlation (average ranks for ties); 0 when fewer than 2 values or a constant
/// input. Throws SRC-020 when the sizes differ.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

/// Rank correlation between the surrogate's predictions and measured accuracies on held-out
/// configurations (configurations not used in fit()).
double surrogate_rank_correlation(const Surrogate& s, const std::vector<Config>& held_out,
                                  const std::vector<double>& measured);

}  // namespace axx::search
