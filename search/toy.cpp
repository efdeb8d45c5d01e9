// transaxx search — synthetic problems (see toy.hpp).
#include "search/toy.hpp"

#include <fmt/format.h>

#include <cmath>

#include "common/error.hpp"
#include "search/pareto.hpp"
#include "search/rng.hpp"

namespace axx::search {

MultiplierLibrary make_toy_library(int n, uint64_t seed, bool mixed_bias) {
  Rng rng(seed ^ 0x544F594C49420001ull);
  MultiplierLibrary lib;
  lib.dir = "toy-library";
  MultiplierInfo ex;
  ex.name = "exact_s8";
  ex.family = "exact";
  ex.is_signed = true;
  ex.energy_pj_per_op = 18.3;
  lib.multipliers.push_back(ex);
  for (int i = 0; i < n; ++i) {
    MultiplierInfo m;
    m.name = fmt::format("toy_s8_{:02d}", i);
    m.family = "toy";
    m.is_signed = true;
    const double t = n == 1 ? 0.5 : double(i) / double(n - 1);  // 0 = most accurate
    const double rel = 0.9 - 0.7 * t + rng.uniform(-0.03, 0.03);
    m.energy_pj_per_op = ex.energy_pj_per_op * rel;
    m.mae_pct = 0.01 * std::pow(200.0, t) * rng.uniform(0.8, 1.25);
    if (i % 5 == 3) {  // dominated: costlier than its neighbour and less accurate
      m.energy_pj_per_op *= 1.15;
      m.mae_pct *= 2.0;
    }
    const double mae = m.mae_pct / 100.0 * 65536.0;
    m.mse = 2.0 * mae * mae;
    m.mean_error = -0.5 * mae;
    if (mixed_bias && i % 2 == 1) {
      m.mean_error = 0;
      m.energy_pj_per_op *= 1.08;
    }
    m.wce_pct = 4 * m.mae_pct;
    lib.multipliers.push_back(m);
  }
  return lib;
}

namespace {

uint64_t hash_mults(const std::vector<int>& m, uint64_t seed) {
  uint64_t h = seed ^ 0x9E3779B97F4A7C15ull;
  for (int v : m) {
    uint64_t s = h ^ uint64_t(v + 1) * 0xD6E8FEB86659FD93ull;
    h = splitmix64(s);
  }
  return h;
}

double compute_signal_power(bool is_signed) {
  double m = 0;
  for (int i = 0; i < 256; ++i) {
    const double v = is_signed ? double(int8_t(uint8_t(i))) : double(i);
    m += v * v / 256.0;
  }
  return m * m;
}

double signal_power(bool is_signed) {
  static const double s8 = compute_signal_power(true), u8 = compute_signal_power(false);
  return is_signed ? s8 : u8;
}

}  // namespace

ToyProblem make_toy_problem(MultiplierLibrary lib, const ToyOptions& o) {
  ToyProblem p;
  p.options = o;
  p.library = std::move(lib);
  p.model.model = fmt::format("toy_vit_b{}_d{}", o.blocks, o.dim);
  Rng rng(o.seed ^ 0x544F595052000001ull);
  const int64_t T = o.tokens, D = o.dim;
  auto add = [&](const std::string& name, int64_t macs, double sens_mult) {
    p.model.layers.push_back(LayerInfo{name, macs, {}});
    p.layer_sensitivity.push_back(o.sensitivity_scale * sens_mult * std::exp(0.6 * rng.normal()));
  };
  add("patch_embed.proj", (T - 1) * 49 * D, 2.5);
  for (int b = 0; b < o.blocks; ++b) {
    const std::string pre = fmt::format("blocks.{}.", b);
    const double depth = 1.0 + 0.8 * double(o.blocks - 1 - b) / double(std::max(1, o.blocks - 1));
    add(pre + "attn.qkv", T * D * 3 * D, 1.0 * depth);
    add(pre + "attn.qk", T * T * D, 2.0 * depth);
    add(pre + "attn.av", T * T * D, 1.5 * depth);
    add(pre + "attn.proj", T * D * D, 0.7 * depth);
    add(pre + "mlp.fc1", T * D * 4 * D, 0.6 * depth);
    add(pre + "mlp.fc2", T * 4 * D * D, 0.8 * depth);
  }
  add("head", D * 10, 3.0);
  if (o.max_layers > 0 && size_t(o.max_layers) < p.model.layers.size()) {
    p.model.layers.resize(size_t(o.max_layers));
    p.layer_sensitivity.resize(size_t(o.max_layers));
  }
  p.sensitivity.model = p.model.model;
  p.sensitivity.base_accuracy = o.base_accuracy;
  const int exact = p.library.find("exact_s8");
  std::vector<int> cfg(p.model.layers.size(), exact < 0 ? 0 : exact);
  for (size_t l = 0; l < p.model.layers.size(); ++l) {
    for (size_t m = 0; m < p.library.multipliers.size(); ++m) {
      if (int(m) == exact) continue;
      std::vector<int> single = cfg;
      single[l] = int(m);
      p.sensitivity.drops[p.model.layers[l].name][p.library.multipliers[m].name] =
          o.base_accuracy - p.accuracy_of(single);
    }
  }
  return p;
}

ToyOptions accumulation_toy_options(ToyOptions o) {
  o.bias_gain = 40.0;
  return o;
}

double ToyProblem::accuracy_of(const std::vector<int>& mult) const {
  const size_t L = model.layers.size();
  std::vector<double> d(L, 0);
  double sum = 0, inter = 0, bias = 0;
  for (size_t l = 0; l < L; ++l) {
    const MultiplierInfo& m = library.multipliers[size_t(mult[l])];
    const double q = m.mse / signal_power(m.is_signed);
    d[l] = layer_sensitivity[l] * std::sqrt(std::max(0.0, q)) * 3.0;
    sum += d[l];
    if (l) inter += std::sqrt(d[l] * d[l - 1]);
    bias += m.mean_error / std::sqrt(signal_power(m.is_signed));
  }
  const uint64_t h = hash_mults(mult, options.seed);
  const double noise = options.noise * (2.0 * double(h >> 11) * 0x1.0p-53 - 1.0);
  double acc = options.base_accuracy - sum - options.eta * sum * sum - options.rho * inter + noise;
  if (options.bias_gain > 0) acc -= (options.base_accuracy - 0.1) * (1.0 - std::exp(-options.bias_gain * bias * bias));
  return std::max(0.1, acc);
}

double ToyProblem::accuracy(const SearchSpace& space, const Config& c) const {
  std::vector<int> m(c.size());
  for (size_t l = 0; l < c.size(); ++l) m[l] = space.candidates(l)[size_t(c[l])].mult;
  return accuracy_of(m);
}

ExactFront enumerate_front(const SearchSpace& space, const ToyProblem& p, uint64_t limit) {
  const auto n = space.size();
  if (!n || *n > limit) {
    throw Error("SRC-021", fmt::format("the space has 10^{:.1f} configurations; too many to enumerate "
                                       "(limit {})",
                                       space.log10_size(), limit));
  }
  ParetoArchive a;
  std::vector<Config> all;
  Config c(space.num_layers(), 0);
  for (uint64_t i = 0; i < *n; ++i) {
    uint64_t x = i;
    for (size_t l = 0; l < c.size(); ++l) {
      c[l] = int(x % space.candidates(l).size());
      x /= space.candidates(l).size();
    }
    all.push_back(c);
    a.insert(ParetoPoint{c, space.power_rel(c), p.accuracy(space, c), int64_t(i)});
  }
  ExactFront f;
  for (const auto& q : a.points()) {
    f.configs.push_back(q.config);
    f.power.push_back(q.power_rel);
    f.accuracy.push_back(q.accuracy);
  }
  return f;
}

}  // namespace axx::search
