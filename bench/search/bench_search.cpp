// Benchmark of the search algorithms at equal budgets. Prints JSON.
//
// Until the emulated ViT exists (the Fashion-MNIST benchmark), the problem is synthetic
// but shaped like one (search/toy.hpp): a ViT layer list with real multiply counts, a real
// multiplier library (energies and error records), single-layer sensitivities, compounding
// errors, neighbour interactions and evaluation noise. For each algorithm and seed it reports the
// hypervolume of the measured front (fixed reference point), evaluations used and wall time,
// then median and spread over the seeds. A second, enumerable instance gives each algorithm's
// fraction of the true front's hypervolume; a third part reports the surrogate's held-out rank
// correlation. Then the same on the toy with accumulation (per-layer bias adds up along the
// network, as in the real ViT; search/toy.hpp), with bias-aware pruning: "accumulation" in the
// JSON, with the surrogate's rank correlation on dense held-out configurations.
//
// Usage: bench_search [--library DIR] [--blocks N] [--budget N] [--seeds N] [--batch N]
//                     [--small-layers N] [--ref-accuracy A] [--eta X] [--rho X] [--noise X]
// (--eta / --rho / --noise: the toy model's compounding, neighbour-interaction and noise
// coefficients, search/toy.hpp; larger values make the problem less additive.)
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/bench_stats.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "search/run.hpp"
#include "search/toy.hpp"

using namespace axx;
using namespace axx::search;

namespace {

using bench::Stats;
using bench::stats_of;
using bench::to_json;

}  // namespace

int main(int argc, char** argv) {
  std::string library = AXX_SEARCH_FIXTURE_LIB;
  int blocks = 6, seeds = 5, batch = 4, small_layers = 7;
  int64_t budget = 200;
  double ref_acc = 0.5;
  ToyOptions to;
  to.blocks = 6;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--library")
      library = next();
    else if (a == "--blocks")
      blocks = std::stoi(next());
    else if (a == "--budget")
      budget = std::stoll(next());
    else if (a == "--seeds")
      seeds = std::stoi(next());
    else if (a == "--batch")
      batch = std::stoi(next());
    else if (a == "--small-layers")
      small_layers = std::stoi(next());
    else if (a == "--ref-accuracy")
      ref_acc = std::stod(next());
    else if (a == "--eta")
      to.eta = std::stod(next());
    else if (a == "--rho")
      to.rho = std::stod(next());
    else if (a == "--noise")
      to.noise = std::stod(next());
    else {
      std::fprintf(stderr,
                   "usage: bench_search [--library DIR] [--blocks N] [--budget N] [--seeds N] "
                   "[--batch N] [--small-layers N] [--ref-accuracy A] [--eta X] [--rho X] "
                   "[--noise X]\n");
      return 2;
    }
  }
  try {
    const MultiplierLibrary lib = load_multiplier_library(library);
    Json out;
    out["benchmark"] = "search";
    out["problem"] = "synthetic ViT (search/toy.hpp) on a real multiplier library";
    out["library"] = library;
    out["multipliers"] = lib.multipliers.size();
    out["budget"] = budget;
    out["seeds"] = seeds;
    out["batch"] = batch;
    out["reference"] = {{"power_rel", 1.0}, {"accuracy", ref_acc}};
    out["toy"] = {{"blocks", blocks}, {"dim", to.dim}, {"tokens", to.tokens}, {"base_accuracy", to.base_accuracy},
                  {"eta", to.eta},    {"rho", to.rho}, {"noise", to.noise}};

    SpaceOptions run_space;
    auto run_all = [&](const ToyProblem& p, int64_t b, Json& dst, const ExactFront* truth) {
      SearchOptions o;
      o.space = run_space;
      o.library = p.library;
      o.model = p.model;
      o.sensitivity = p.sensitivity;
      o.budget = b;
      o.batch = batch;
      o.reference = {1.0, ref_acc};
      const SearchSpace space = SearchSpace::build(o.library, o.model, &*o.sensitivity, o.space);
      dst["layers"] = space.num_layers();
      dst["log10_space_size"] = space.log10_size();
      Json cpl = Json::array();
      for (size_t l = 0; l < space.num_layers(); ++l) cpl.push_back(space.candidates(l).size());
      dst["candidates_per_layer"] = cpl;
      double truth_hv = 0;
      if (truth) {
        std::vector<ParetoPoint> pts;
        for (size_t i = 0; i < truth->configs.size(); ++i)
          pts.push_back({truth->configs[i], truth->power[i], truth->accuracy[i], -1});
        truth_hv = hypervolume_2d(pts, o.reference);
        dst["true_front_points"] = truth->configs.size();
        dst["true_hypervolume"] = truth_hv;
      }
      std::map<std::string, double> med;
      for (const auto& info : algorithms()) {
        std::vector<double> hv, used, wall, frac, front;
        for (int s = 1; s <= seeds; ++s) {
          o.seed = uint64_t(s);
          FunctionEvaluator ev([&](const SearchSpace& sp, const Config& c) { return p.accuracy(sp, c); });
          const AlgorithmRun r = run_algorithm(info.name, o, space, ev, {});
          hv.push_back(r.hypervolume);
          used.push_back(double(r.evaluations.size()));
          wall.push_back(r.wall_s);
          front.push_back(double(r.front.size()));
          if (truth) frac.push_back(r.hypervolume / truth_hv);
        }
        Json a;
        a["hypervolume"] = to_json(stats_of(hv));
        a["hypervolume_per_seed"] = hv;
        a["evaluations_used"] = to_json(stats_of(used));
        a["front_size"] = to_json(stats_of(front));
        a["wall_s"] = to_json(stats_of(wall));
        if (truth) a["fraction_of_true_hypervolume"] = to_json(stats_of(frac));
        med[info.name] = stats_of(hv).median;
        dst["algorithms"][info.name] = a;
      }
      dst["targets"] = {{"mcts_median_ge_nsga2", med["mcts"] >= med["nsga2"]},
                        {"mcts_median_gt_random", med["mcts"] > med["random"]}};
    };

    // Main instance: a ViT with `blocks` blocks (6 approximable layers each + patch_embed + head).
    to.blocks = blocks;
    const ToyProblem big = make_toy_problem(lib, to);
    Json main_part;
    main_part["model"] = big.model.model;
    run_all(big, budget, main_part, nullptr);
    out["main"] = main_part;

    // Enumerable instance: the first `small_layers` layers.
    ToyOptions so = to;
    so.max_layers = small_layers;
    SpaceOptions sp;
    const ToyProblem small = make_toy_problem(lib, so);
    const SearchSpace small_space = SearchSpace::build(small.library, small.model, &small.sensitivity, sp);
    const ExactFront truth = enumerate_front(small_space, small);
    Json small_part;
    small_part["model"] = small.model.model;
    run_all(small, std::max<int64_t>(1, budget / 2), small_part, &truth);
    small_part["budget"] = std::max<int64_t>(1, budget / 2);
    out["enumerable"] = small_part;

    // Surrogate rank correlation on held-out configurations of the main instance.
    {
      const SearchSpace space = SearchSpace::build(big.library, big.model, &big.sensitivity, sp);
      Surrogate sur(space, &big.sensitivity);
      Rng rng(2024);
      auto draw = [&](int n) {
        std::vector<Config> cs;
        for (int i = 0; i < n; ++i) {
          Config c(space.num_layers());
          const double level = rng.uniform(0.0, 0.6);
          for (size_t l = 0; l < c.size(); ++l) c[l] = rng.bernoulli(level) ? rng.index(space.candidates(l).size()) : 0;
          cs.push_back(c);
        }
        return cs;
      };
      const auto train = draw(50), held = draw(300);
      std::vector<double> yt, yh;
      for (const auto& c : train) yt.push_back(big.accuracy(space, c));
      for (const auto& c : held) yh.push_back(big.accuracy(space, c));
      const double rho0 = surrogate_rank_correlation(sur, held, yh);
      sur.fit(train, yt);
      const double rho1 = surrogate_rank_correlation(sur, held, yh);
      out["surrogate"] = {{"held_out", held.size()},
                          {"train", train.size()},
                          {"spearman_table_only", rho0},
                          {"spearman_refined", rho1}};
    }
    // The toy with accumulation: the same three parts.
    {
      ToyOptions ao = accumulation_toy_options(to);
      ao.blocks = blocks;
      run_space.bias_aware = true;
      const ToyProblem abig = make_toy_problem(lib, ao);
      Json acc;
      acc["bias_gain"] = ao.bias_gain;
      Json amain;
      amain["model"] = abig.model.model;
      run_all(abig, budget, amain, nullptr);
      acc["main"] = amain;
      ToyOptions aso = ao;
      aso.max_layers = std::min(small_layers, 5);  // bias-aware pruning keeps more candidates per layer
      const ToyProblem asmall = make_toy_problem(lib, aso);
      const SearchSpace asmall_space = SearchSpace::build(asmall.library, asmall.model, &asmall.sensitivity, run_space);
      const ExactFront atruth = enumerate_front(asmall_space, asmall);
      Json asmall_part;
      asmall_part["model"] = asmall.model.model;
      run_all(asmall, std::max<int64_t>(1, budget / 2), asmall_part, &atruth);
      asmall_part["budget"] = std::max<int64_t>(1, budget / 2);
      acc["enumerable"] = asmall_part;
      const SearchSpace space = SearchSpace::build(abig.library, abig.model, &abig.sensitivity, run_space);
      Surrogate sur(space, &abig.sensitivity);
      Rng rng(2025);
      // Dense: 60-100 % of the layers approximated, on the more accurate half of their
      // candidates (over all of them nearly every dense configuration is at chance level).
      auto draw = [&](int n) {
        std::vector<Config> cs;
        for (int i = 0; i < n; ++i) {
          Config c(space.num_layers(), 0);
          const double level = rng.uniform(0.6, 1.0);
          for (size_t l = 0; l < c.size(); ++l) {
            const size_t k = space.candidates(l).size();
            if (k > 1 && rng.bernoulli(level)) c[l] = 1 + rng.index(k / 2);
          }
          cs.push_back(c);
        }
        return cs;
      };
      const auto train = draw(50), held = draw(300);
      std::vector<double> yt, yh;
      for (const auto& c : train) yt.push_back(abig.accuracy(space, c));
      for (const auto& c : held) yh.push_back(abig.accuracy(space, c));
      const double rho0 = surrogate_rank_correlation(sur, held, yh);
      sur.fit(train, yt);
      const double rho1 = surrogate_rank_correlation(sur, held, yh);
      acc["surrogate_dense"] = {{"held_out", held.size()},
                                {"held_out_accuracy_range", {*std::min_element(yh.begin(), yh.end()),
                                                             *std::max_element(yh.begin(), yh.end())}},
                                {"train", train.size()},
                                {"spearman_table_only", rho0},
                                {"spearman_refined", rho1}};
      out["accumulation"] = acc;
    }
    std::printf("%s\n", out.dump(2).c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "error %s: %s\n", e.code().c_str(), e.what());
    return 1;
  }
  return 0;
}
