// transaxx search — power model (see power.hpp).
#include "search/power.hpp"

#include <fmt/format.h>

#include "common/error.hpp"

namespace axx::search {

void throw_config_size_mismatch(size_t got, const ModelLayers& layers) {
  throw Error("SRC-005", fmt::format("a configuration has {} layers but model '{}' has {}; it "
                                     "belongs to another model",
                                     got, layers.model, layers.layers.size()));
}

PowerModel::PowerModel(const MultiplierLibrary& lib, const ModelLayers& layers, const std::string& exact)
    : lib_(&lib), layers_(&layers) {
  exact_ = lib.find(exact);
  if (exact_ < 0) {
    throw Error("SRC-012", fmt::format("the library {} has no '{}' multiplier, the all-exact "
                                       "reference of the power model; add it to the library or "
                                       "name another reference; library: {}",
                                       lib.dir.string(), exact, join_names(lib.names())));
  }
  for (size_t l = 0; l < layers.layers.size(); ++l) exact_energy_pj_ += layer_energy_pj(int(l), exact_);
}

double PowerModel::layer_energy_pj(int layer, int mult) const {
  return double(layers_->layers[size_t(layer)].macs) * lib_->multipliers[size_t(mult)].energy_pj_per_op;
}

PowerEstimate PowerModel::estimate(const std::vector<int>& mult_per_layer) const {
  if (mult_per_layer.size() != layers_->layers.size()) throw_config_size_mismatch(mult_per_layer.size(), *layers_);
  PowerEstimate p;
  for (size_t l = 0; l < mult_per_layer.size(); ++l) p.energy_pj += layer_energy_pj(int(l), mult_per_layer[l]);
  p.exact_energy_pj = exact_energy_pj_;
  p.relative = p.energy_pj / exact_energy_pj_;
  return p;
}

}  // namespace axx::search
