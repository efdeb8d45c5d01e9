// transaxx search — NSGA-II baseline.
//
// Deb, Pratap, Agarwal & Meyarivan, "A fast and elitist multiobjective genetic algorithm:
// NSGA-II", IEEE Trans. Evolutionary Computation 6(2), 2002: fast non-dominated sorting,
// crowding distance, binary tournament on (rank, crowding), (μ + λ) elitist survival. ALWANN
// (Mrazek et al., ICCAD 2019) searches per-layer multiplier assignments with it. Genes are the
// per-layer candidate indices; variation is uniform crossover and per-gene mutation (half of the
// mutations move to a neighbouring trade-off, half to any candidate). Objectives: relative power
// (minimized) and measured accuracy (maximized). Already scored children are re-drawn so the
// budget is spent on new configurations.
#include <algorithm>
#include <limits>
#include <unordered_set>

#include "search/algorithm.hpp"

namespace axx::search {

namespace {

struct Individual {
  Config config;
  double power = 0, acc = 0;
  int rank = 0;
  double crowding = 0;
};

void sort_and_crowd(std::vector<Individual>& pop) {
  const size_t n = pop.size();
  std::vector<std::vector<size_t>> dominated(n);
  std::vector<int> count(n, 0);
  std::vector<size_t> front;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      if (dominates(pop[i].power, pop[i].acc, pop[j].power, pop[j].acc))
        dominated[i].push_back(j);
      else if (dominates(pop[j].power, pop[j].acc, pop[i].power, pop[i].acc))
        ++count[i];
    }
    if (count[i] == 0) front.push_back(i);
  }
  int rank = 0;
  while (!front.empty()) {
    for (size_t i : front) pop[i].rank = rank;
    // Crowding distance within this front.
    for (size_t i : front) pop[i].crowding = 0;
    for (int obj = 0; obj < 2; ++obj) {
      auto val = [&](size_t i) { return obj == 0 ? pop[i].power : pop[i].acc; };
      std::vector<size_t> f = front;
      std::stable_sort(f.begin(), f.end(), [&](size_t a, size_t b) { return val(a) < val(b); });
      const double span = val(f.back()) - val(f.front());
      pop[f.front()].crowding = pop[f.back()].crowding = std::numeric_limits<double>::infinity();
      if (span <= 0) continue;
      for (size_t k = 1; k + 1 < f.size(); ++k) pop[f[k]].crowding += (val(f[k + 1]) - val(f[k - 1])) / span;
    }
    std::vector<size_t> next;
    for (size_t i : front) {
      for (size_t j : dominated[i]) {
        if (--count[j] == 0) next.push_back(j);
      }
    }
    std::sort(next.begin(), next.end());
    front = std::move(next);
    ++rank;
  }
}

bool better(const Individual& a, const Individual& b) {
  if (a.rank != b.rank) return a.rank < b.rank;
  return a.crowding > b.crowding;
}

}  // namespace

Json run_nsga2(const AlgorithmInputs& in, EvalContext& ctx) {
  const SearchSpace& s = *in.space;
  Rng rng(in.seed ^ 0x4E53474132000001ull);
  const size_t L = s.num_layers();
  const int pop_size = int(std::max<int64_t>(2, std::min<int64_t>(std::max(4, in.nsga2.population), ctx.budget())));
  const double pm = in.nsga2.mutation >= 0 ? in.nsga2.mutation : 1.0 / double(L);
  UniqueSampler sampler(s);

  auto score = [&](std::vector<Config> cs) {
    std::vector<Individual> out;
    if (int64_t(cs.size()) > ctx.remaining()) {
      // Only what the budget allows; already scored ones cost nothing and are kept.
      std::vector<Config> keep;
      int64_t fresh = 0;
      for (auto& c : cs) {
        if (ctx.seen(c))
          keep.push_back(c);
        else if (fresh < ctx.remaining()) {
          keep.push_back(c);
          ++fresh;
        }
      }
      cs = std::move(keep);
    }
    for (size_t i = 0; i < cs.size(); i += size_t(in.batch)) {
      std::vector<Config> chunk(cs.begin() + long(i), cs.begin() + long(std::min(cs.size(), i + size_t(in.batch))));
      ctx.evaluate(chunk);
    }
    for (auto& c : cs) {
      auto a = ctx.lookup(c);
      if (!a) continue;
      out.push_back(Individual{c, s.power_rel(c), *a, 0, 0});
    }
    return out;
  };

  // Initial population: both extremes plus uniform random configurations.
  std::vector<Config> init{s.all_exact(), s.all_cheapest()};
  if (config_key(init[0]) == config_key(init[1])) init.pop_back();
  std::unordered_set<std::string> keys;
  for (auto& c : init) keys.insert(config_key(c));
  while (int(init.size()) < pop_size) {
    auto c = sampler.next(rng, ctx);
    if (!c) break;
    if (keys.insert(config_key(*c)).second) init.push_back(*c);
  }
  std::vector<Individual> pop = score(init);
  sort_and_crowd(pop);
  int generations = 0, stale = 0;
  while (ctx.remaining() > 0 && !pop.empty() && stale < 50) {
    auto tournament = [&]() -> const Individual& {
      const Individual& a = pop[size_t(rng.index(pop.size()))];
      const Individual& b = pop[size_t(rng.index(pop.size()))];
      return better(a, b) ? a : b;
    };
    std::vector<Config> children;
    std::unordered_set<std::string> child_keys;
    const int64_t want = std::min<int64_t>(pop_size, ctx.remaining());
    for (int attempt = 0; int64_t(children.size()) < want && attempt < 20 * pop_size; ++attempt) {
      const Individual& p1 = tournament();
      const Individual& p2 = tournament();
      Config c = p1.config;
      if (rng.bernoulli(in.nsga2.crossover)) {
        for (size_t l = 0; l < L; ++l)
          if (rng.bernoulli(0.5)) c[l] = p2.config[l];
      }
      for (int tries = 0; tries < 8; ++tries) {
        for (size_t l = 0; l < L; ++l) {
          if (!rng.bernoulli(pm)) continue;
          const int k = int(s.candidates(l).size());
          if (k < 2) continue;
          if (rng.bernoulli(0.5)) {
            const int step = rng.bernoulli(0.5) ? 1 : -1;
            c[l] = std::clamp(c[l] + step, 0, k - 1);
          } else {
            c[l] = rng.index(size_t(k));
          }
        }
        if (!ctx.seen(c) && !child_keys.count(config_key(c))) break;
      }
      if (ctx.seen(c) || child_keys.count(config_key(c))) continue;
      child_keys.insert(config_key(c));
      children.push_back(std::move(c));
    }
    if (children.empty()) {
      // Everything near the population is scored; inject a random newcomer instead.
      if (auto c = sampler.next(rng, ctx))
        children.push_back(*c);
      else
        break;
      ++stale;
    } else {
      stale = 0;
    }
    std::vector<Individual> offspring = score(children);
    std::vector<Individual> merged = pop;
    merged.insert(merged.end(), offspring.begin(), offspring.end());
    sort_and_crowd(merged);
    std::stable_sort(merged.begin(), merged.end(), better);
    if (int(merged.size()) > pop_size) merged.resize(size_t(pop_size));
    pop = std::move(merged);
    sort_and_crowd(pop);
    ++generations;
  }
  Json stats;
  stats["population"] = pop_size;
  stats["generations"] = generations;
  return stats;
}

}  // namespace axx::search
