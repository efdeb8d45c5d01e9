// transaxx search — search space and candidate pruning (see space.hpp).
#include "search/space.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.hpp"

namespace axx::search {

std::string config_key(const Config& c) {
  std::string s;
  for (size_t i = 0; i < c.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(c[i]);
  }
  return s;
}

namespace {

std::vector<double> normalized(const std::vector<double>& h) {
  std::vector<double> p(256, 1.0 / 256);
  if (h.size() != 256) return p;
  double s = 0;
  for (double v : h) s += v;
  if (!(s > 0)) return p;
  for (size_t i = 0; i < 256; ++i) p[i] = h[i] / s;
  return p;
}

double second_moment(const std::vector<double>& p, bool is_signed) {
  double m = 0;
  for (int i = 0; i < 256; ++i) {
    const double v = is_signed ? double(int8_t(uint8_t(i))) : double(i);
    m += p[size_t(i)] * v * v;
  }
  return m;
}

}  // namespace

void error_features(const MultiplierInfo& m, const std::vector<double>& a_hist, const std::vector<double>& b_hist,
                    double& noise, double& bias, bool mean_compensation) {
  const auto pa = normalized(a_hist);
  const auto pb = normalized(b_hist);
  const double signal = std::max(1e-12, second_moment(pa, m.is_signed) * second_moment(pb, m.is_signed));
  if (m.lut.size() == 65536) {
    // Control-variate compensation (docs: COMPENSATION): t(b) = llround(Σ_a p(a)·ε(a, b)) is
    // subtracted from every product with operand b.
    std::vector<double> t(256, 0.0);
    if (mean_compensation) {
      for (int b = 0; b < 256; ++b) {
        double mu = 0;
        for (int a = 0; a < 256; ++a)
          mu += pa[size_t(a)] * (double(m.lut[size_t(a) * 256 + size_t(b)]) - double(exact_product(a, b, m.is_signed)));
        t[size_t(b)] = double(std::llround(mu));
      }
    }
    double e1 = 0, e2 = 0;
    for (int a = 0; a < 256; ++a) {
      if (pa[size_t(a)] == 0) continue;
      double r1 = 0, r2 = 0;
      for (int b = 0; b < 256; ++b) {
        const double e =
            double(m.lut[size_t(a) * 256 + size_t(b)]) - double(exact_product(a, b, m.is_signed)) - t[size_t(b)];
        r1 += pb[size_t(b)] * e;
        r2 += pb[size_t(b)] * e * e;
      }
      e1 += pa[size_t(a)] * r1;
      e2 += pa[size_t(a)] * r2;
    }
    noise = e2 / signal;
    bias = e1 / std::sqrt(signal);
  } else {
    noise = m.mse / signal;
    bias = mean_compensation ? 0.0 : m.mean_error / std::sqrt(signal);
  }
}

SearchSpace SearchSpace::build(const MultiplierLibrary& lib, const ModelLayers& layers, const SensitivityTable* sens,
                               const SpaceOptions& opts) {
  if (lib.multipliers.empty()) throw_empty_library(lib.dir);
  if (layers.layers.empty()) {
    throw Error("SRC-018", fmt::format("model '{}' has no approximable layers to search", layers.model));
  }
  if (opts.max_candidates == 1 || opts.max_candidates < 0) {
    throw Error("SRC-019", fmt::format("max_candidates is {}; use 0 (no cap) or ≥ 2", opts.max_candidates));
  }
  if (sens) check_sensitivity_matches(*sens, layers);
  SearchSpace s(lib, layers, opts);
  const int exact = s.power_.exact_index();
  std::vector<int> eligible;
  for (size_t m = 0; m < lib.multipliers.size(); ++m) {
    if (int(m) == exact || admits(opts.signedness, lib.multipliers[m].is_signed)) {
      eligible.push_back(int(m));
    }
  }
  if (eligible.size() < 2) {
    throw Error("SRC-017", fmt::format("the library {} has no approximate multiplier of the "
                                       "requested signedness besides '{}'; nothing to search",
                                       lib.dir.string(), opts.exact));
  }
  const double total = s.power_.exact_energy_pj();
  for (size_t l = 0; l < layers.layers.size(); ++l) {
    const LayerInfo& li = layers.layers[l];
    std::vector<Candidate> all;
    bool all_dropped = sens != nullptr;
    for (int m : eligible) {
      const MultiplierInfo& mi = lib.multipliers[size_t(m)];
      Candidate c;
      c.mult = m;
      c.power_share = s.power_.layer_energy_pj(int(l), m) / total;
      error_features(mi, mi.is_signed ? li.operands.a_s8 : li.operands.a_u8,
                     mi.is_signed ? li.operands.b_s8 : li.operands.b_u8, c.noise, c.bias, opts.mean_compensation);
      if (m == exact) {
        c.noise = 0;
        c.bias = 0;
      }
      if (sens) c.drop = sens->drop(li.name, mi.name);
      if (m == exact) c.drop = 0.0;
      if (!c.drop) all_dropped = false;
      all.push_back(c);
    }
    auto metric = [&](const Candidate& c) { return all_dropped ? *c.drop : c.noise; };
    std::vector<Candidate> kept;
    for (const Candidate& c : all) {
      bool dominated = false;
      if (opts.prune && c.mult != exact) {
        for (const Candidate& o : all) {
          if (&o == &c) continue;
          // With measured drops, `o` must also be no noisier: a drop measured on a few hundred
          // images cannot tell a design from one with four times its error power, and the
          // noisier one loses more where many layers carry it (and fine-tuning wins back less).
          const bool le = o.power_share <= c.power_share && metric(o) <= metric(c) &&
                          (!all_dropped || o.noise <= c.noise) &&
                          (!opts.bias_aware || std::fabs(o.bias) <= std::fabs(c.bias));
          const bool lt = o.power_share < c.power_share || metric(o) < metric(c);
          // Exact ties: keep the first in library order only.
          const bool tie_first = o.power_share == c.power_share && metric(o) == metric(c) && o.mult < c.mult &&
                                 (!all_dropped || o.noise <= c.noise) &&
                                 (!opts.bias_aware || std::fabs(o.bias) == std::fabs(c.bias));
          if ((le && lt) || tie_first) {
            dominated = true;
            break;
          }
        }
      }
      if (!dominated) kept.push_back(c);
    }
    // Highest power first: index 0 is the costliest candidate (the exact one after pruning),
    // so neighbouring indices are neighbouring trade-offs.
    std::stable_sort(kept.begin(), kept.end(), [](const Candidate& a, const Candidate& b) {
      if (a.power_share != b.power_share) return a.power_share > b.power_share;
      return a.mult < b.mult;
    });
    if (opts.max_candidates >= 2 && int(kept.size()) > opts.max_candidates) {
      std::vector<Candidate> thin;
      const int n = int(kept.size()), k = opts.max_candidates;
      int exact_pos = 0;
      for (int i = 0; i < n; ++i)
        if (kept[size_t(i)].mult == exact) exact_pos = i;
      for (int i = 0; i < k; ++i) {
        const int idx = int(std::lround(double(i) * double(n - 1) / double(k - 1)));
        if (thin.empty() || thin.back().mult != kept[size_t(idx)].mult) thin.push_back(kept[size_t(idx)]);
      }
      bool has_exact = false;
      for (auto& c : thin) has_exact |= c.mult == exact;
      if (!has_exact) {
        thin[0] = kept[size_t(exact_pos)];
        std::stable_sort(thin.begin(), thin.end(),
                         [](const Candidate& a, const Candidate& b) { return a.power_share > b.power_share; });
      }
      kept = thin;
    }
    int ei = -1;
    for (size_t k = 0; k < kept.size(); ++k)
      if (kept[k].mult == exact) ei = int(k);
    s.exact_idx_.push_back(ei);
    s.cands_.push_back(std::move(kept));
  }
  return s;
}

Config SearchSpace::all_exact() const { return Config(exact_idx_.begin(), exact_idx_.end()); }

Config SearchSpace::all_cheapest() const {
  Config c(cands_.size());
  for (size_t l = 0; l < cands_.size(); ++l) {
    int best = 0;
    for (size_t k = 0; k < cands_[l].size(); ++k) {
      if (cands_[l][k].power_share < cands_[l][size_t(best)].power_share) best = int(k);
    }
    c[l] = best;
  }
  return c;
}

void SearchSpace::check(const Config& c) const {
  if (c.size() != cands_.size()) throw_config_size_mismatch(c.size(), *layers_);
  for (size_t l = 0; l < c.size(); ++l) {
    if (c[l] < 0 || size_t(c[l]) >= cands_[l].size()) {
      throw Error("SRC-024", fmt::format("layer '{}': candidate index {} is out of range (0..{})",
                                         layers_->layers[l].name, c[l], cands_[l].size() - 1));
    }
  }
}

double SearchSpace::power_rel(const Config& c) const {
  double p = 0;
  for (size_t l = 0; l < c.size(); ++l) p += cands_[l][size_t(c[l])].power_share;
  return p;
}

PowerEstimate SearchSpace::power(const Config& c) const {
  std::vector<int> m(c.size());
  for (size_t l = 0; l < c.size(); ++l) m[l] = cands_[l][size_t(c[l])].mult;
  return power_.estimate(m);
}

const std::string& SearchSpace::multiplier_name(const Config& c, size_t l) const {
  return lib_->multipliers[size_t(cands_[l][size_t(c[l])].mult)].name;
}

std::map<std::string, std::string> SearchSpace::multipliers_by_layer(const Config& c) const {
  std::map<std::string, std::string> m;
  for (size_t l = 0; l < c.size(); ++l) m[layers_->layers[l].name] = multiplier_name(c, l);
  return m;
}

std::optional<uint64_t> SearchSpace::size() const {
  uint64_t n = 1;
  for (const auto& c : cands_) {
    if (n > (uint64_t(1) << 62) / c.size()) return std::nullopt;
    n *= c.size();
  }
  return n;
}

double SearchSpace::log10_size() const {
  double s = 0;
  for (const auto& c : cands_) s += std::log10(double(c.size()));
  return s;
}

Json SearchSpace::to_approx_config(const Config& c) const {
  check(c);
  Json j;
  j["version"] = 1;
  j["library"] = lib_->dir.string();
  j["default"] = "exact";
  j["layers"] = multipliers_by_layer(c);
  return j;
}

Config SearchSpace::from_approx_config(const Json& j) const {
  auto malformed = [](const std::string& what) { throw Error("SRC-023", "approximation config: " + what); };
  if (!j.is_object() || !j.contains("version") || j["version"] != 1) malformed("field 'version' must be 1");
  std::string def = j.value("default", std::string("exact"));
  const std::string& exact_name = lib_->multipliers[size_t(power_.exact_index())].name;
  auto resolve = [&](size_t l, const std::string& name) -> int {
    const std::string n = name == "exact" ? exact_name : name;
    std::vector<std::string> valid;
    for (size_t k = 0; k < cands_[l].size(); ++k) {
      const std::string& cn = lib_->multipliers[size_t(cands_[l][k].mult)].name;
      if (cn == n) return int(k);
      valid.push_back(cn);
    }
    throw Error("SRC-006", fmt::format("approximation config: layer '{}' gets multiplier '{}', "
                                       "which is {} of this search space; candidates: {}",
                                       layers_->layers[l].name, name,
                                       lib_->find(n) < 0 ? "not in the library and not a candidate"
                                                         : "not a candidate (pruned or filtered)",
                                       join_names(valid)));
  };
  Config c(cands_.size());
  std::vector<bool> set(cands_.size(), false);
  if (j.contains("layers")) {
    if (!j["layers"].is_object()) malformed("field 'layers' must be an object");
    for (const auto& [name, v] : j["layers"].items()) {
      const int l = layers_->find(name);
      if (l < 0) {
        throw Error("SRC-022", fmt::format("approximation config names layer '{}', which model "
                                           "'{}' does not have (a config of another model?); "
                                           "layers: {}",
                                           name, layers_->model, join_names(layers_->names())));
      }
      if (!v.is_string()) malformed(fmt::format("layer '{}' must map to a multiplier name", name));
      c[size_t(l)] = resolve(size_t(l), v.get<std::string>());
      set[size_t(l)] = true;
    }
  }
  for (size_t l = 0; l < c.size(); ++l) {
    if (!set[l]) c[l] = resolve(l, def);
  }
  return c;
}

Json SearchSpace::describe() const {
  Json j;
  j["model"] = layers_->model;
  j["exact"] = opts_.exact;
  if (opts_.bias_aware) j["bias_aware"] = true;
  if (opts_.mean_compensation) j["mean_compensation"] = true;
  j["layers"] = Json::array();
  for (size_t l = 0; l < cands_.size(); ++l) {
    Json e;
    e["name"] = layers_->layers[l].name;
    e["macs"] = layers_->layers[l].macs;
    e["candidates"] = Json::array();
    for (const auto& c : cands_[l]) {
      e["candidates"].push_back(lib_->multipliers[size_t(c.mult)].name);
    }
    j["layers"].push_back(e);
  }
  return j;
}

}  // namespace axx::search
