// transaxx search — the search space: per layer, the candidate multipliers left after Pareto
// pruning, with each candidate's power share and error features; configurations over it.
//
// Candidate pruning follows ALWANN (Mrazek et al., "ALWANN: Automatic Layer-Wise Approximation
// of Deep Neural Network Accelerators without Retraining", ICCAD 2019): a multiplier that is both
// costlier and less accurate than another one for a layer can never be on the accuracy–power
// front of the whole network under an additive error model, so only the per-layer power–error
// Pareto set is searched. The error axis is per layer: the measured single-layer drop when the
// sensitivity table covers the layer, else the multiplier's relative error power under the layer's
// operand distribution (LUT-weighted; the record's MSE under uniform operands when there are no
// statistics or no LUT).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "search/library.hpp"
#include "search/model.hpp"
#include "search/power.hpp"

namespace axx::search {

/// One configuration: for each layer (model order), the index into that layer's candidates.
using Config = std::vector<int>;

/// "0,3,1,…" — stable key for deduplication, caches and checkpoints.
std::string config_key(const Config& c);

enum class Signedness { any, signed_only, unsigned_only };

/// True when a multiplier of that signedness is searched under `s`.
inline bool admits(Signedness s, bool is_signed) {
  return s == Signedness::any || (s == Signedness::signed_only) == is_signed;
}

struct SpaceOptions {
  /// The exact reference multiplier (power 1.0, and always a candidate). docs/architecture.md's built-in
  /// "exact" is the signed exact_s8.
  std::string exact = "exact_s8";
  Signedness signedness = Signedness::any;
  /// Keep only the per-layer power–error Pareto set (plus the exact multiplier).
  bool prune = true;
  /// After pruning, keep at most this many candidates per layer (exact included), chosen evenly
  /// along the layer's front; 0 = no cap. Range 0 or ≥ 2.
  int max_candidates = 0;
  /// Prune on bias too: a candidate is dominated only by one that is also no more biased (|bias|
  /// under the layer's operands), so designs whose error does not accumulate along the network
  /// (unbiased ones) survive next to cheaper biased ones whose single-layer drop looks as small.
  bool bias_aware = false;
  /// The evaluator runs every approximate layer with "mean" compensation: error features are
  /// those of the compensated products (set it together with the engine's compensation).
  bool mean_compensation = false;
};

struct Candidate {
  int mult = -1;           ///< library index
  double power_share = 0;  ///< layer energy on this multiplier / all-exact model energy
  /// Relative error power E[(approx − exact)²] / E[exact²] under the layer's operands
  /// (dimensionless, ≥ 0).
  double noise = 0;
  double bias = 0;             ///< E[approx − exact] / sqrt(E[exact²]) (signed, dimensionless)
  std::optional<double> drop;  ///< measured single-layer accuracy drop (fraction) if known
};

class SearchSpace {
 public:
  /// Throws SRC-002 (empty library), SRC-017 (no multiplier of the requested signedness),
  /// SRC-018 (no layers), SRC-007 / SRC-026 (sensitivity of another model), SRC-012 (exact
  /// missing), SRC-019 (bad candidate cap).
  static SearchSpace build(const MultiplierLibrary& lib, const ModelLayers& layers, const SensitivityTable* sensitivity,
                           const SpaceOptions& opts = {});

  size_t num_layers() const { return cands_.size(); }
  const std::vector<Candidate>& candidates(size_t layer) const { return cands_[layer]; }
  const MultiplierLibrary& library() const { return *lib_; }
  const ModelLayers& layers() const { return *layers_; }
  const PowerModel& power_model() const { return power_; }
  const SpaceOptions& options() const { return opts_; }

  /// Candidate index of the exact multiplier in each layer.
  Config all_exact() const;
  /// The lowest-power candidate of every layer.
  Config all_cheapest() const;
  /// Relative power (1 = all exact) of a configuration.
  double power_rel(const Config& c) const;
  PowerEstimate power(const Config& c) const;
  /// Multiplier name of layer `l` under `c`.
  const std::string& multiplier_name(const Config& c, size_t l) const;
  /// Layer name → multiplier name under `c`, every layer (what the evaluators and config files take).
  std::map<std::string, std::string> multipliers_by_layer(const Config& c) const;
  /// Number of configurations, or nullopt when above 2^62.
  std::optional<uint64_t> size() const;
  /// log10 of the number of configurations.
  double log10_size() const;

  /// docs/architecture.md approximation config: every layer listed explicitly.
  Json to_approx_config(const Config& c) const;
  /// Reads an approximation config (layers not listed get "default"). Throws SRC-022 for a layer
  /// the model does not have (a config of another model), listing the valid names; SRC-006 for a
  /// multiplier that is unknown or not a candidate of that layer, listing the candidates;
  /// SRC-023 when it is malformed.
  Config from_approx_config(const Json& j) const;
  /// Validates size and ranges; throws SRC-005 (size) / SRC-024 (candidate index).
  void check(const Config& c) const;
  /// JSON description (layers × candidate names) used to fingerprint checkpoints.
  Json describe() const;

 private:
  const MultiplierLibrary* lib_ = nullptr;
  const ModelLayers* layers_ = nullptr;
  PowerModel power_;
  SpaceOptions opts_;
  std::vector<std::vector<Candidate>> cands_;
  std::vector<int> exact_idx_;

  SearchSpace(const MultiplierLibrary& lib, const ModelLayers& layers, const SpaceOptions& o)
      : lib_(&lib), layers_(&layers), power_(lib, layers, o.exact), opts_(o) {}
};

/// Relative error power and bias of multiplier `m` under the operand histograms (uniform when a
/// histogram is empty). Uses the LUT when loaded, else the record's MSE / mean error. With
/// `mean_compensation`, of the compensated products (each weight code's mean error under the
/// activation histogram subtracted, rounded: the engine's "mean" compensation).
void error_features(const MultiplierInfo& m, const std::vector<double>& a_hist, const std::vector<double>& b_hist,
                    double& noise, double& bias, bool mean_compensation = false);

}  // namespace axx::search
