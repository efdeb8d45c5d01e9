// Each search algorithm on synthetic problems whose optimal front is known by enumeration.
#include <gtest/gtest.h>

#include <cstdio>

#include "search/run.hpp"
#include "test_util.hpp"

using namespace axx;
using namespace axx::search;
using namespace axx::search::test;

namespace {

struct ToySetup {
  ToyProblem p;
  SearchOptions o;
  std::unique_ptr<SearchSpace> space;
  ExactFront truth;
  double truth_hv = 0;
};

ToySetup make_setup(int layers, int approx, uint64_t seed, double eta = 2.0, double rho = 0.15, double noise = 0.0005,
                    bool enumerate = true) {
  ToySetup s{small_toy(layers, approx, seed, eta, rho, noise), {}, nullptr, {}, 0};
  s.o.library = s.p.library;
  s.o.model = s.p.model;
  s.o.sensitivity = s.p.sensitivity;
  s.o.reference = {1.0, 0.5};
  s.space = std::make_unique<SearchSpace>(SearchSpace::build(s.o.library, s.o.model, &*s.o.sensitivity, s.o.space));
  if (!enumerate) return s;
  s.truth = enumerate_front(*s.space, s.p);
  std::vector<ParetoPoint> pts;
  for (size_t i = 0; i < s.truth.configs.size(); ++i)
    pts.push_back({s.truth.configs[i], s.truth.power[i], s.truth.accuracy[i], -1});
  s.truth_hv = hypervolume_2d(pts, s.o.reference);
  return s;
}

AlgorithmRun run(ToySetup& s, const std::string& algo, int64_t budget, uint64_t seed) {
  s.o.budget = budget;
  s.o.seed = seed;
  FunctionEvaluator ev([&](const SearchSpace& sp, const Config& c) { return s.p.accuracy(sp, c); });
  return run_algorithm(algo, s.o, *s.space, ev, {});
}

bool on_true_front(const ToySetup& s, const ParetoPoint& p) {
  for (size_t i = 0; i < s.truth.configs.size(); ++i) {
    if (s.truth.configs[i] == p.config) return true;
  }
  return false;
}

}  // namespace

TEST(RandomSearch, WithTheWholeSpaceAsBudgetFindsTheExactFront) {
  ToySetup s = make_setup(4, 3, 2);
  const auto n = *s.space->size();
  ASSERT_LE(n, 300u);
  const AlgorithmRun r = run(s, "random", int64_t(n), 1);
  EXPECT_EQ(r.evaluations.size(), n);  // without repetition: every configuration once
  ASSERT_EQ(r.front.size(), s.truth.configs.size());
  for (const auto& p : r.front) EXPECT_TRUE(on_true_front(s, p));
  EXPECT_NEAR(r.hypervolume, s.truth_hv, 1e-12);
  // A larger budget than the space stops when the space is exhausted.
  const AlgorithmRun r2 = run(s, "random", int64_t(n) + 50, 1);
  EXPECT_EQ(r2.evaluations.size(), n);
  EXPECT_TRUE(r2.stats["space_exhausted"].get<bool>());
}

TEST(GreedySearch, OnAnAdditiveProblemEveryPointIsParetoOptimal) {
  // Additive, noise-free: the sensitivity-ordered descent walks the lower convex hull.
  ToySetup s = make_setup(6, 4, 4, 0.0, 0.0, 0.0);
  const AlgorithmRun r = run(s, "greedy", 1000, 1);
  EXPECT_EQ(r.evaluations.front().config, s.space->all_exact());
  EXPECT_EQ(r.evaluations.back().config, s.space->all_cheapest());
  EXPECT_GE(r.front.size(), 5u);
  for (const auto& p : r.front) EXPECT_TRUE(on_true_front(s, p)) << config_key(p.config);
  for (const auto& e : r.evaluations) {
    ParetoPoint p{e.config, e.power_rel, e.accuracy, -1};
    EXPECT_TRUE(on_true_front(s, p)) << config_key(e.config);
  }
}

TEST(GreedySearch, SmallBudgetSpreadsOverTheDescent) {
  ToySetup s = make_setup(6, 4, 4);
  const AlgorithmRun r = run(s, "greedy", 5, 1);
  ASSERT_EQ(r.evaluations.size(), 5u);
  EXPECT_EQ(r.evaluations.front().config, s.space->all_exact());
  EXPECT_EQ(r.evaluations.back().config, s.space->all_cheapest());
}

TEST(Nsga2, ReachesMostOfTheTrueHypervolume) {
  ToySetup s = make_setup(6, 4, 6);
  const AlgorithmRun r = run(s, "nsga2", 400, 1);
  EXPECT_EQ(r.evaluations.size(), 400u);
  std::printf("nsga2: %.5f of true HV (space %llu)\n", r.hypervolume / s.truth_hv,
              (unsigned long long)*s.space->size());
  EXPECT_GE(r.hypervolume / s.truth_hv, 0.95);
}

TEST(Mcts, ReachesAtLeast98PercentOfTheTrueHypervolume) {
  // 7 layers × up to 7 candidates after pruning: enumerable, the issue's ≥ 98 % target.
  ToySetup s = make_setup(7, 6, 8);
  double worst = 1;
  for (uint64_t seed : {1, 2, 3}) {
    const AlgorithmRun r = run(s, "mcts", 120, seed);
    EXPECT_EQ(r.evaluations.size(), 120u);
    const double frac = r.hypervolume / s.truth_hv;
    worst = std::min(worst, frac);
    std::printf("mcts seed %llu: %.5f of true HV (space %llu, true front %zu points, found %zu)\n",
                (unsigned long long)seed, frac, (unsigned long long)*s.space->size(), s.truth.configs.size(),
                r.front.size());
  }
  EXPECT_GE(worst, 0.98);
}

TEST(Mcts, BeatsRandomAtEqualBudget) {
  ToySetup s = make_setup(7, 6, 9);
  const double m = run(s, "mcts", 60, 1).hypervolume;
  const double r = run(s, "random", 60, 1).hypervolume;
  EXPECT_GT(m, r);
}

TEST(Algorithms, SameSeedSameResultDifferentSeedDifferentSearch) {
  ToySetup s = make_setup(8, 5, 12, 2.0, 0.15, 0.0005, false);
  for (const auto& info : algorithms()) {
    const AlgorithmRun a = run(s, info.name, 40, 7);
    const AlgorithmRun b = run(s, info.name, 40, 7);
    ASSERT_EQ(a.evaluations.size(), b.evaluations.size()) << info.name;
    for (size_t i = 0; i < a.evaluations.size(); ++i) {
      EXPECT_EQ(a.evaluations[i].config, b.evaluations[i].config) << info.name << " eval " << i;
      EXPECT_EQ(a.evaluations[i].accuracy, b.evaluations[i].accuracy);
    }
    EXPECT_EQ(a.hypervolume, b.hypervolume) << info.name;
    if (std::string(info.name) != "greedy") {  // greedy is deterministic by construction
      const AlgorithmRun c = run(s, info.name, 40, 8);
      bool differs = false;
      for (size_t i = 0; i < std::min(a.evaluations.size(), c.evaluations.size()); ++i) {
        differs |= a.evaluations[i].config != c.evaluations[i].config;
      }
      EXPECT_TRUE(differs) << info.name;
    }
  }
}

TEST(Algorithms, RegistryListsTheFourAndRejectsOthers) {
  std::vector<std::string> names;
  for (const auto& a : algorithms()) names.push_back(a.name);
  EXPECT_EQ(names, (std::vector<std::string>{"mcts", "nsga2", "random", "greedy"}));
  AXX_EXPECT_CODE(find_algorithm("simulated_annealing"), "SRC-010");
}

TEST(Algorithms, BatchesRespectTheBatchSizeAndBudget) {
  ToySetup s = make_setup(8, 5, 13, 2.0, 0.15, 0.0005, false);
  s.o.batch = 3;
  s.o.budget = 20;
  for (const auto& info : algorithms()) {
    std::vector<size_t> sizes;
    struct Rec : Evaluator {
      ToySetup* s;
      std::vector<size_t>* sizes;
      std::vector<double> evaluate(const SearchSpace& sp, const std::vector<Config>& cs) override {
        sizes->push_back(cs.size());
        std::vector<double> out;
        for (const auto& c : cs) out.push_back(s->p.accuracy(sp, c));
        return out;
      }
    } ev;
    ev.s = &s;
    ev.sizes = &sizes;
    const AlgorithmRun r = run_algorithm(info.name, s.o, *s.space, ev, {});
    size_t total = 0;
    for (size_t n : sizes) {
      EXPECT_LE(n, 3u) << info.name;
      EXPECT_GE(n, 1u);
      total += n;
    }
    EXPECT_EQ(total, r.evaluations.size());
    EXPECT_LE(r.evaluations.size(), 20u) << info.name;
  }
}

TEST(Mcts, ReachesAtLeast98PercentOfTheTrueHypervolumeWithAccumulation) {
  // The toy with accumulation (per-layer bias adds up along the network), enumerable.
  ToySetup s{accumulation_toy(7, 6, 8), {}, nullptr, {}, 0};
  s.o.library = s.p.library;
  s.o.model = s.p.model;
  s.o.sensitivity = s.p.sensitivity;
  s.o.reference = {1.0, 0.5};
  s.o.space.bias_aware = true;
  s.space = std::make_unique<SearchSpace>(SearchSpace::build(s.o.library, s.o.model, &*s.o.sensitivity, s.o.space));
  s.truth = enumerate_front(*s.space, s.p);
  std::vector<ParetoPoint> pts;
  for (size_t i = 0; i < s.truth.configs.size(); ++i)
    pts.push_back({s.truth.configs[i], s.truth.power[i], s.truth.accuracy[i], -1});
  s.truth_hv = hypervolume_2d(pts, s.o.reference);
  double worst = 1;
  for (uint64_t seed : {1, 2, 3}) {
    const AlgorithmRun r = run(s, "mcts", 120, seed);
    const double frac = r.hypervolume / s.truth_hv;
    worst = std::min(worst, frac);
    std::printf("mcts (accumulation) seed %llu: %.5f of true HV (space %llu, true front %zu points)\n",
                (unsigned long long)seed, frac, (unsigned long long)*s.space->size(), s.truth.configs.size());
  }
  for (const char* base : {"nsga2", "random", "greedy"})
    std::printf("%s (accumulation): %.5f of true HV\n", base, run(s, base, 120, 1).hypervolume / s.truth_hv);
  EXPECT_GE(worst, 0.98);
}
