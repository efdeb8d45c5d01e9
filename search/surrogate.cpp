// transaxx search — surrogate accuracy predictor (see surrogate.hpp).
#include "search/surrogate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "common/error.hpp"

namespace axx::search {

Surrogate::Surrogate(const SearchSpace& space, const SensitivityTable* sens) : space_(&space) {
  const size_t L = space.num_layers();
  has_table_ = sens != nullptr;
  if (sens) base_ = sens->base_accuracy;
  // κ: least-squares drop-per-noise ratio, per layer where the table has pairs, global otherwise.
  double gqd = 0, gqq = 0;
  std::vector<double> kl(L, -1);
  for (size_t l = 0; l < L; ++l) {
    double qd = 0, qq = 0;
    for (const auto& c : space.candidates(l)) {
      if (c.drop && c.noise > 0) {
        qd += c.noise * *c.drop;
        qq += c.noise * c.noise;
      }
    }
    if (qq > 0) kl[l] = std::max(0.0, qd / qq);
    gqd += qd;
    gqq += qq;
  }
  kappa_ = gqq > 0 ? std::max(0.0, gqd / gqq) : 1.0;
  drops_.resize(L);
  scaled_noise_.resize(L);
  bias_.resize(L);
  for (size_t l = 0; l < L; ++l) {
    for (const auto& c : space.candidates(l)) {
      const double k = kl[l] >= 0 ? kl[l] : kappa_;
      drops_[l].push_back(c.drop ? *c.drop : k * c.noise);
      scaled_noise_[l].push_back(kappa_ * c.noise);
      bias_[l].push_back(std::fabs(c.bias));
    }
  }
  table_base_ = base_;
}

std::array<double, Surrogate::kFeatures> Surrogate::features(const Config& c) const {
  double pos = 0, f3 = 0, b = 0;
  for (size_t l = 0; l < c.size(); ++l) {
    pos += std::max(0.0, drops_[l][size_t(c[l])]);
    f3 += scaled_noise_[l][size_t(c[l])];
    b += bias_[l][size_t(c[l])];
  }
  return {1.0, pos, pos * pos, f3, b * b};
}

double Surrogate::predicted_drop(const Config& c) const {
  const auto f = features(c);
  double drop = 0;
  for (int j = 1; j < kFeatures; ++j) drop += w_[size_t(j)] * f[size_t(j)];
  return drop;
}

double Surrogate::marginal_drop(size_t l, int cand, double pos_level, double bias_level) const {
  const double dp = std::max(0.0, drops_[l][size_t(cand)]), b = bias_[l][size_t(cand)];
  return w_[1] * dp + w_[2] * ((pos_level + dp) * (pos_level + dp) - pos_level * pos_level) +
         w_[3] * scaled_noise_[l][size_t(cand)] + w_[4] * ((bias_level + b) * (bias_level + b) - bias_level * bias_level);
}

// Identity down to the knee (10 % of base), then an exponential tail with the same slope: C¹,
// increasing, in (0, 1].
double Surrogate::link(double drop) const {
  const double a = base_ - drop, k = 0.1 * base_;
  if (a >= k) return std::min(1.0, a);
  if (!(k > 0)) return 0.0;
  return k * std::exp((a - k) / k);
}

double Surrogate::unlink(double acc) const {
  const double k = 0.1 * base_;
  if (acc >= k || !(k > 0)) return base_ - acc;
  return base_ - (k + k * std::log(std::max(acc, 1e-9) / k));
}

double Surrogate::predict(const Config& c) const { return std::clamp(link(predicted_drop(c)), 0.0, 1.0); }

void Surrogate::fit(const std::vector<Config>& configs, const std::vector<double>& acc) {
  const std::array<double, kFeatures> prior{0, 1, 0, 0, 0};
  const size_t n = configs.size();
  // The anchor: the measured all-exact accuracy when the set has it, else the table's; without
  // either, the best measured accuracy.
  base_ = table_base_;
  const std::string exact_key = config_key(space_->all_exact());
  bool anchored = has_table_;
  for (size_t i = 0; i < n; ++i) {
    if (config_key(configs[i]) == exact_key) {
      base_ = acc[i];
      anchored = true;
    }
  }
  if (!anchored && n) base_ = std::max(1e-6, *std::max_element(acc.begin(), acc.end()));
  if (n == 0) {
    w_ = prior;
    return;
  }
  std::vector<std::array<double, kFeatures>> X(n);
  std::vector<double> y(n);
  for (size_t i = 0; i < n; ++i) {
    X[i] = features(configs[i]);
    y[i] = unlink(acc[i]);
  }
  // Ridge towards the prior, each coefficient's penalty scaled by its feature's mean square so
  // that λ = 1 weighs like one pseudo-observation whatever the units.
  std::array<double, kFeatures> pen{};
  for (int j = 1; j < kFeatures; ++j) {
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += X[i][size_t(j)] * X[i][size_t(j)];
    pen[size_t(j)] = s / double(n) + 1e-12;
  }
  // Collapsed measurements (below a quarter of base: the model is at chance level, more error
  // does not lower it) are censored: they enter the fit only where the model predicts them too
  // accurate.
  const double floor_acc = 0.25 * base_;
  auto solve = [&](const std::vector<char>& use) {
    std::array<bool, kFeatures> active{};
    for (int j = 1; j < kFeatures; ++j) active[size_t(j)] = true;
    std::array<double, kFeatures> w = prior;
    for (int round = 0; round < kFeatures; ++round) {
      std::vector<int> idx;
      for (int j = 1; j < kFeatures; ++j)
        if (active[size_t(j)]) idx.push_back(j);
      const size_t m = idx.size();
      std::vector<std::vector<double>> A(m, std::vector<double>(m + 1, 0.0));
      for (size_t a = 0; a < m; ++a) {
        A[a][a] += pen[size_t(idx[a])];
        A[a][m] += pen[size_t(idx[a])] * prior[size_t(idx[a])];
      }
      for (size_t i = 0; i < n; ++i) {
        if (!use[i]) continue;
        for (size_t a = 0; a < m; ++a) {
          for (size_t b = 0; b < m; ++b) A[a][b] += X[i][size_t(idx[a])] * X[i][size_t(idx[b])];
          A[a][m] += X[i][size_t(idx[a])] * y[i];
        }
      }
      // Gaussian elimination with partial pivoting on the (SPD) normal equations.
      bool ok = true;
      for (size_t col = 0; col < m && ok; ++col) {
        size_t piv = col;
        for (size_t r = col + 1; r < m; ++r)
          if (std::fabs(A[r][col]) > std::fabs(A[piv][col])) piv = r;
        if (std::fabs(A[piv][col]) < 1e-300) {
          ok = false;
          break;
        }
        std::swap(A[col], A[piv]);
        for (size_t r = 0; r < m; ++r) {
          if (r == col) continue;
          const double f = A[r][col] / A[col][col];
          for (size_t k = col; k <= m; ++k) A[r][k] -= f * A[col][k];
        }
      }
      if (!ok) return prior;
      w = {};
      for (size_t a = 0; a < m; ++a) w[size_t(idx[a])] = A[a][m] / A[a][a];
      // Non-negative: fix the most negative coefficient at 0 and solve again.
      int worst = -1;
      for (int j : idx)
        if (w[size_t(j)] < 0 && (worst < 0 || w[size_t(j)] < w[size_t(worst)])) worst = j;
      if (worst < 0) return w;
      active[size_t(worst)] = false;
    }
    for (auto& v : w) v = std::max(0.0, v);
    return w;
  };
  std::vector<char> use(n, 1);
  for (size_t i = 0; i < n; ++i) use[i] = acc[i] >= floor_acc;
  w_ = solve(use);
  for (int it = 0; it < 3; ++it) {
    bool changed = false;
    for (size_t i = 0; i < n; ++i) {
      if (acc[i] >= floor_acc) continue;
      const bool want = predicted_drop(configs[i]) < y[i];
      if (bool(use[i]) != want) {
        use[i] = want;
        changed = true;
      }
    }
    if (!changed) break;
    w_ = solve(use);
  }
}

namespace {

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    const double avg = 0.5 * double(i + j) + 1.0;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

}  // namespace

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) {
    throw Error("SRC-020",
                fmt::format("rank correlation of {} predictions against {} measurements", a.size(), b.size()));
  }
  if (a.size() < 2) return 0;
  const auto ra = ranks(a), rb = ranks(b);
  const double n = double(a.size());
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n;
  const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  if (saa <= 0 || sbb <= 0) return 0;
  return sab / std::sqrt(saa * sbb);
}

double surrogate_rank_correlation(const Surrogate& s, const std::vector<Config>& held_out,
                                  const std::vector<double>& measured) {
  std::vector<double> pred;
  for (const auto& c : held_out) pred.push_back(s.predict(c));
  return spearman(pred, measured);
}

}  // namespace axx::search
