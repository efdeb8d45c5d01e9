// transaxx search — surrogate accuracy predictor (see surrogate.hpp).
#include "search/surrogate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

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
  for (size_t l = 0; l < L; ++l) {
    for (const auto& c : space.candidates(l)) {
      const double k = kl[l] >= 0 ? kl[l] : kappa_;
      drops_[l].push_back(c.drop ? *c.drop : k * c.noise);
      scaled_noise_[l].push_back(kappa_ * c.noise);
    }
  }
}

std::array<double, Surrogate::kFeatures> Surrogate::features(const Config& c) const {
  double f1 = 0, pos = 0, f3 = 0;
  for (size_t l = 0; l < c.size(); ++l) {
    const double d = drops_[l][size_t(c[l])];
    f1 += d;
    pos += std::max(0.0, d);
    f3 += scaled_noise_[l][size_t(c[l])];
  }
  return {1.0, f1, pos * pos, f3};
}

double Surrogate::predict(const Config& c) const {
  const auto f = features(c);
  double drop = 0;
  for (int j = 0; j < kFeatures; ++j) drop += w_[size_t(j)] * f[size_t(j)];
  return base_ - drop;
}

void Surrogate::fit(const std::vector<Config>& configs, const std::vector<double>& acc) {
  const std::array<double, kFeatures> prior{0, 1, 0, 0};
  const size_t n = configs.size();
  if (n == 0) {
    w_ = prior;
    return;
  }
  std::vector<std::array<double, kFeatures>> X(n);
  for (size_t i = 0; i < n; ++i) X[i] = features(configs[i]);
  // Ridge towards the prior, each coefficient's penalty scaled by its feature's mean square so
  // that λ = 1 weighs like one pseudo-observation whatever the units. Without a sensitivity
  // table the base accuracy is unknown: the intercept is then free (tiny penalty).
  double A[kFeatures][kFeatures + 1] = {};
  const double lambda = 1.0;
  for (int j = 0; j < kFeatures; ++j) {
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += X[i][size_t(j)] * X[i][size_t(j)];
    s = s / double(n) + 1e-12;
    const double pen = (j == 0 && !has_table_) ? 1e-9 * s : lambda * s;
    A[j][j] += pen;
    A[j][kFeatures] += pen * prior[size_t(j)];
  }
  for (size_t i = 0; i < n; ++i) {
    const double y = base_ - acc[i];
    for (int a = 0; a < kFeatures; ++a) {
      for (int b = 0; b < kFeatures; ++b) A[a][b] += X[i][size_t(a)] * X[i][size_t(b)];
      A[a][kFeatures] += X[i][size_t(a)] * y;
    }
  }
  // Gaussian elimination with partial pivoting on the (SPD) normal equations.
  for (int col = 0; col < kFeatures; ++col) {
    int piv = col;
    for (int r = col + 1; r < kFeatures; ++r)
      if (std::fabs(A[r][col]) > std::fabs(A[piv][col])) piv = r;
    if (std::fabs(A[piv][col]) < 1e-300) {
      w_ = prior;
      return;
    }
    if (piv != col)
      for (int k = 0; k <= kFeatures; ++k) std::swap(A[col][k], A[piv][k]);
    for (int r = 0; r < kFeatures; ++r) {
      if (r == col) continue;
      const double f = A[r][col] / A[col][col];
      for (int k = col; k <= kFeatures; ++k) A[r][k] -= f * A[col][k];
    }
  }
  for (int j = 0; j < kFeatures; ++j) w_[size_t(j)] = A[j][kFeatures] / A[j][j];
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
