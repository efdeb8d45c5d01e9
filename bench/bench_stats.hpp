// transaxx benchmarks — summary statistics of repeated runs (several seeds of a search, ...).
#pragma once

#include <algorithm>
#include <vector>

#include "common/json.hpp"

namespace axx::bench {

struct Stats {
  double median = 0, min = 0, max = 0, q1 = 0, q3 = 0;
};

/// Median, extremes and quartiles (linear interpolation between order statistics); all 0 for
/// no values.
inline Stats stats_of(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  auto q = [&](double f) {
    const double pos = f * double(v.size() - 1);
    const size_t i = size_t(pos);
    const double t = pos - double(i);
    return i + 1 < v.size() ? v[i] * (1 - t) + v[i + 1] * t : v[i];
  };
  return {q(0.5), v.front(), v.back(), q(0.25), q(0.75)};
}

inline Json to_json(const Stats& s) {
  return Json{{"median", s.median}, {"min", s.min}, {"max", s.max}, {"q1", s.q1}, {"q3", s.q3}};
}

}  // namespace axx::bench
