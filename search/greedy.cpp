// transaxx search — greedy baseline: sensitivity-ordered descent.
//
// Start from all-exact and repeatedly take the single-layer step to a cheaper multiplier with the
// smallest predicted accuracy loss per unit of power saved (single-layer drops from the
// sensitivity table), scoring each configuration on the way. This is the classic layer-wise
// heuristic (the "resilience-ordered" assignment used as a baseline in ALWANN, Mrazek et al. 2019);
// on an additive problem it walks the lower convex hull of the front.
#include <limits>

#include "search/algorithm.hpp"

namespace axx::search {

Json run_greedy(const AlgorithmInputs& in, EvalContext& ctx) {
  const SearchSpace& s = *in.space;
  const Surrogate& sur = *in.surrogate;
  Config c = s.all_exact();
  std::vector<Config> path{c};
  int steps = 0;
  while (true) {
    double best = std::numeric_limits<double>::infinity();
    size_t bl = 0;
    int bk = -1;
    for (size_t l = 0; l < s.num_layers(); ++l) {
      const auto& cands = s.candidates(l);
      const auto& cur = cands[size_t(c[l])];
      for (size_t k = 0; k < cands.size(); ++k) {
        const double saved = cur.power_share - cands[k].power_share;
        if (!(saved > 0)) continue;
        const double ratio = (sur.drop(l, int(k)) - sur.drop(l, c[l])) / saved;
        if (ratio < best) {
          best = ratio;
          bl = l;
          bk = int(k);
        }
      }
    }
    if (bk < 0) break;
    c[bl] = bk;
    path.push_back(c);
    ++steps;
  }
  // With fewer evaluations than steps, score evenly spaced points of the descent (both ends
  // included) so the whole power range is covered.
  if (int64_t(path.size()) > ctx.remaining()) {
    const int64_t n = std::max<int64_t>(1, ctx.remaining());
    std::vector<Config> picked;
    for (int64_t i = 0; i < n; ++i) {
      const size_t idx = n == 1 ? 0 : size_t((double(i) * double(path.size() - 1)) / double(n - 1) + 0.5);
      picked.push_back(path[idx]);
    }
    path = std::move(picked);
  }
  // Score in path order, one evaluator batch at a time.
  size_t pos = 0;
  while (pos < path.size() && ctx.remaining() > 0) {
    std::vector<Config> batch;
    while (pos < path.size() && int64_t(batch.size()) < std::min<int64_t>(in.batch, ctx.remaining())) {
      batch.push_back(path[pos++]);
    }
    ctx.evaluate(batch);
  }
  Json stats;
  stats["descent_steps"] = steps;
  stats["path_scored"] = pos;
  return stats;
}

}  // namespace axx::search
