// transaxx search — power model of a configuration (docs/architecture.md "Power of a config").
//
// Energy per inference = Σ over layers of (multiplications in the layer) × (energy per
// multiplication of the layer's multiplier), reported in pJ and relative to the all-exact 8-bit
// model. Only the multipliers are counted: adders, registers and memory are the accelerator
// estimate of hwgen, reported beside this one when a design exists. Using energy per operation
// (not µW) makes layers of different sizes comparable at any clock, as in ALWANN (Mrazek et al.,
// ICCAD 2019) and TransAxx (Danopoulos et al., arXiv 2402.07545, 2024).
#pragma once

#include <vector>

#include "search/library.hpp"
#include "search/model.hpp"

namespace axx::search {

struct PowerEstimate {
  double energy_pj = 0;        ///< pJ per inference (multipliers only)
  double exact_energy_pj = 0;  ///< the same with every layer on the exact multiplier
  double relative = 0;         ///< energy_pj / exact_energy_pj (1 = all exact)
};

/// Throws SRC-005: a configuration of `got` layers for a model of another size (a configuration
/// of another model).
[[noreturn]] void throw_config_size_mismatch(size_t got, const ModelLayers& layers);

class PowerModel {
 public:
  /// `exact` names the reference multiplier of "all-exact" (docs/architecture.md: "exact" = exact_s8).
  /// Throws SRC-012 when the library lacks it.
  PowerModel(const MultiplierLibrary& lib, const ModelLayers& layers, const std::string& exact);
  /// `mult_per_layer[i]` is the library index of layer i's multiplier.
  PowerEstimate estimate(const std::vector<int>& mult_per_layer) const;
  double exact_energy_pj() const { return exact_energy_pj_; }
  int exact_index() const { return exact_; }
  /// Energy of layer `layer` on library multiplier `mult`, pJ per inference.
  double layer_energy_pj(int layer, int mult) const;

 private:
  const MultiplierLibrary* lib_;
  const ModelLayers* layers_;
  int exact_ = -1;
  double exact_energy_pj_ = 0;
};

}  // namespace axx::search
