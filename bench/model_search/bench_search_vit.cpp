// Benchmark of the search algorithms on the real problem: the Fashion-MNIST ViT
// (examples/models/fmnist_vit.safetensors) emulated with the built-in multiplier library.
// Prints JSON.
//
// 1. The library is characterized once into a cache folder (--library DIR, or the environment
//    variable AXX_BENCH_LIBRARY; built with `transaxx library build` when it has no
//    library.json).
// 2. Layers (multiply counts, operand histograms) from the model; a sensitivity table measured
//    here: every layer alone on each of its candidate multipliers (after Pareto pruning), scored
//    on the same image subset as the search. Its cost is reported apart from the budget (it is
//    the input of the surrogate that MCTS and greedy use; NSGA-II and random ignore it).
// 3. For each seed: MCTS, NSGA-II, random and greedy at the same budget on the same evaluator
//    (scores cached across algorithms and seeds: a configuration is emulated once). Hypervolume
//    of each measured front (fixed reference: all-exact accuracy − max_drop, power 1), median
//    and spread over the seeds. The exact baseline (all-exact configuration, measured in the same
//    run) is the reference point's accuracy anchor; hypervolume is relative to the box
//    [0, 1] × [ref, exact], reported as a fraction of that box too.
// 4. For the first --final-seeds seeds, every front point is re-evaluated on the first
//    --final-images test images (a larger set than the search subset) and the hypervolume
//    recomputed on those accuracies.
// 5. Surrogate: Spearman rank correlation between predicted and measured accuracy on held-out
//    configurations (random sparse ones: 1 to L/3 layers approximated), (a) from the sensitivity
//    table alone, (b) after fitting on the configurations the four searches of seed 1 measured.
//
//    Also on DENSE held-out configurations (--dense-holdout N: 70-100 % of the layers
//    approximated, each on a random candidate near position `tier` of its list, the tiers
//    stratified over (0, 1] so that the configurations span nearly exact to the cheapest
//    designs), measured on the --final-images images: the target ρ ≥ 0.9.
//    With --seeds 0 no search runs: the surrogate is fitted on the uniform configurations (one
//    multiplier on every layer) and --fit N dense random ones, as MCTS sees them first.
//
// Usage: bench_search_vit [--library DIR] [--model FILE] [--budget N] [--seeds N]
//          [--eval-images N] [--final-images N] [--final-seeds N] [--calib-images N]
//          [--max-candidates N] [--holdout N] [--dense-holdout N] [--fit N] [--max-drop X]
//          [--threads N] [--out DIR] [--sensitivity FILE] [--layers FILE]
//          [--calibration METHOD] [--percentile P] [--no-bias-aware] [--compensation none|mean]
//          [--replay DUMP]
// --sensitivity / --layers reuse a flow's tables (e.g. runs/demo/sensitivity/sensitivity.json and
// runs/demo/calibrate/layers.json, with --calibration percentile --percentile 99.99 as the demo).
// --compensation mean scores every configuration with mean error compensation and gives the
// surrogate the compensated error features (as `[search] compensation = "mean"` of the demo).
// --out keeps checkpoints: a killed benchmark run again with the same options resumes.
// AXX_BENCH_DUMP=FILE also writes the search space (per layer and candidate: power, error power,
// bias, measured drop) and the surrogate's fit and dense held-out configurations with their
// accuracies, for studying other predictors offline. --replay FILE (with --seeds 0) takes the fit
// and dense held-out accuracies from such a dump instead of measuring them again (the
// configurations are drawn as always and must be the dump's: same space, --fit, --dense-holdout),
// so that a change to the surrogate is scored on the same measurements in seconds.
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bench/bench_stats.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/subprocess.hpp"
#include "emulation/train/layer_stats.hpp"
#include "model_search/search_eval.hpp"
#include "search/run.hpp"
#include "search/surrogate.hpp"

using namespace axx;
using namespace axx::search;
namespace fs = std::filesystem;

namespace {

using bench::Stats;
using bench::stats_of;
using bench::to_json;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void log(const std::string& s) {
  std::fprintf(stderr, "[bench_search_vit] %s\n", s.c_str());
  std::fflush(stderr);
}

}  // namespace

int main(int argc, char** argv) {
  std::string library = std::getenv("AXX_BENCH_LIBRARY") ? std::getenv("AXX_BENCH_LIBRARY") : "";
  std::string model = std::string(AXX_SOURCE_DIR) + "/examples/models/fmnist_vit.safetensors";
  std::string out = "runs/bench_search_vit";
  int64_t budget = 20, eval_images = 200, final_images = 1000, calib_images = 256;
  int seeds = 5, final_seeds = 1, max_candidates = 4, holdout = 20, threads = 2, dense_holdout = 0, fit_n = 20;
  double max_drop = 0.05, percentile = 0;
  std::string sens_file, layers_file, calibration, compensation = "none", replay_file;
  bool bias_aware = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--library") library = next();
    else if (a == "--model") model = next();
    else if (a == "--budget") budget = std::stoll(next());
    else if (a == "--seeds") seeds = std::stoi(next());
    else if (a == "--eval-images") eval_images = std::stoll(next());
    else if (a == "--final-images") final_images = std::stoll(next());
    else if (a == "--final-seeds") final_seeds = std::stoi(next());
    else if (a == "--calib-images") calib_images = std::stoll(next());
    else if (a == "--max-candidates") max_candidates = std::stoi(next());
    else if (a == "--holdout") holdout = std::stoi(next());
    else if (a == "--max-drop") max_drop = std::stod(next());
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--out") out = next();
    else if (a == "--dense-holdout") dense_holdout = std::stoi(next());
    else if (a == "--fit") fit_n = std::stoi(next());
    else if (a == "--sensitivity") sens_file = next();
    else if (a == "--layers") layers_file = next();
    else if (a == "--calibration") calibration = next();
    else if (a == "--percentile") percentile = std::stod(next());
    else if (a == "--no-bias-aware") bias_aware = false;
    else if (a == "--replay") replay_file = next();
    else if (a == "--compensation") {
      compensation = next();
      if (compensation != "none" && compensation != "mean") {
        std::fprintf(stderr, "--compensation takes none or mean, got '%s'\n", compensation.c_str());
        return 2;
      }
    }
    else {
      std::fprintf(stderr, "unknown option %s (see the header of bench_search_vit.cpp)\n", a.c_str());
      return 2;
    }
  }
  if (library.empty()) library = out + "/library";
  if (!replay_file.empty() && seeds != 0) {
    std::fprintf(stderr, "--replay scores the surrogate only: give --seeds 0 too\n");
    return 2;
  }
  try {
    const double t_start = now_s();
    fs::create_directories(out);  // the library build's log goes here, whichever --library is
    if (!fs::exists(fs::path(library) / "library.json")) {
      log("characterizing the built-in library into " + library + " (once)");
      run_tool_checked("BENCH-001", "transaxx library build",
                       {AXX_TRANSAXX_EXE, "library", "build", "--out", library, "-j", "2"},
                       ProcessOptions({}, fs::path(out) / "library_build.log"));
    }
    const double t_lib = now_s();

    train::SearchEvalOptions eo;
    eo.model = model;
    eo.run.threads = threads;
    eo.run.progress = false;
    eo.eval_images = eval_images;
    eo.calib_images = calib_images;
    eo.data.limit = final_images;  // the subset is drawn from these; fronts are re-scored on all of them
    eo.library = library;
    eo.calibration = calibration;
    eo.percentile = percentile;
    eo.compensation = compensation;
    train::EmulatorEvaluator ev(eo);

    train::LayerStatsOptions ls;
    ls.model = model;
    ls.run = eo.run;
    ls.images = calib_images;
    SearchOptions so;
    so.library = load_multiplier_library(library, true);
    ls.calibration = calibration;
    ls.percentile = percentile;
    so.model = layers_file.empty() ? parse_model_layers(train::compute_layer_stats(ls), "layers")
                                   : load_model_layers(layers_file);
    so.space.max_candidates = max_candidates;
    so.space.bias_aware = bias_aware;
    so.space.mean_compensation = compensation == "mean";
    so.budget = budget;
    so.batch = 4;
    const double t_setup = now_s();
    log("model, calibration and layer statistics ready");

    // Exact baseline, measured in this run.
    const double exact_acc = ev.accuracy({}, false);
    so.reference.power_rel = 1.0;
    so.reference.accuracy = std::max(0.0, exact_acc - max_drop);
    const double box = (exact_acc - so.reference.accuracy) * 1.0;

    // Sensitivity table on the candidates of the pruned space (without a table: error powers).
    SensitivityTable sens;
    if (!sens_file.empty()) {
      sens = load_sensitivity(sens_file);
      log("sensitivity table from " + sens_file);
    } else {
      sens.model = ev.model_id();
      sens.base_accuracy = exact_acc;
      const SearchSpace pre = SearchSpace::build(so.library, so.model, nullptr, so.space);
      const int64_t e0 = ev.emulations();
      for (size_t l = 0; l < pre.num_layers(); ++l) {
        for (const auto& c : pre.candidates(l)) {
          const std::string& mn = so.library.multipliers[size_t(c.mult)].name;
          if (int(c.mult) == pre.power_model().exact_index()) continue;
          const std::string& ln = so.model.layers[l].name;
          sens.drops[ln][mn] = exact_acc - ev.accuracy({{ln, mn}}, false);
        }
      }
      log("sensitivity table: " + std::to_string(ev.emulations() - e0) + " single-layer evaluations");
    }
    const int64_t sens_evals = ev.emulations();
    so.sensitivity = sens;
    const double t_sens = now_s();

    const std::vector<std::string> algos{"mcts", "nsga2", "random", "greedy"};
    std::map<std::string, std::vector<double>> hv, hv_full, front_sizes, evals;
    Json per_seed = Json::array();
    std::vector<EvalRecord> fit_set;
    SearchSpace space = SearchSpace::build(so.library, so.model, &sens, so.space);
    for (int seed = 1; seed <= seeds; ++seed) {
      so.seed = uint64_t(seed);
      so.algo = "mcts";
      so.compare = {"nsga2", "random", "greedy"};
      so.out_dir = fs::path(out) / ("seed_" + std::to_string(seed));
      const int64_t e0 = ev.emulations();
      const double ts = now_s();
      const SearchResult r = run_search(so, ev);
      std::vector<const AlgorithmRun*> runs{&r.primary};
      for (const auto& b : r.baselines) runs.push_back(&b);
      Json js{{"seed", seed}, {"new_emulations", ev.emulations() - e0}, {"seconds", now_s() - ts}};
      for (const auto* a : runs) {
        hv[a->algo].push_back(a->hypervolume);
        front_sizes[a->algo].push_back(double(a->front.size()));
        evals[a->algo].push_back(double(a->evaluations.size()));
        Json ja{{"hypervolume", a->hypervolume}, {"front_size", a->front.size()}, {"evaluations", a->evaluations.size()}};
        if (seed <= final_seeds) {
          std::vector<ParetoPoint> pts;
          for (const auto& p : a->front)
            pts.push_back(ParetoPoint{p.config, p.power_rel, ev.accuracy(space.multipliers_by_layer(p.config), true), p.eval_index});
          const double h = hypervolume_2d(pts, so.reference);
          hv_full[a->algo].push_back(h);
          ja["hypervolume_final_images"] = h;
        }
        if (seed == 1) fit_set.insert(fit_set.end(), a->evaluations.begin(), a->evaluations.end());
        js[a->algo] = ja;
      }
      per_seed.push_back(js);
      log("seed " + std::to_string(seed) + " done: " + js.dump());
    }
    const double t_search = now_s();

    // Surrogate on held-out uniformly random configurations (none of them in the fit set).
    Surrogate sur(space, &sens);
    std::vector<Config> fit_c;
    std::vector<double> fit_a;
    for (const auto& e : fit_set) {
      fit_c.push_back(e.config);
      fit_a.push_back(e.accuracy);
    }
    // --replay: the measurements of an earlier run (AXX_BENCH_DUMP) for the same configurations.
    Json replay;
    if (!replay_file.empty()) replay = read_json_file(replay_file);
    auto replayed = [&](const char* part, const std::vector<Config>& configs) {
      const Json& items = replay.at(part);
      if (items.size() != configs.size()) {
        throw Error("BENCH-002", replay_file + ": " + std::to_string(items.size()) + " '" + part + "' configurations, " +
                                     std::to_string(configs.size()) + " drawn here: replay with the dump's --fit and --dense-holdout");
      }
      std::vector<double> acc;
      for (size_t i = 0; i < configs.size(); ++i) {
        if (items[i].at("config").get<Config>() != configs[i]) {
          throw Error("BENCH-002", replay_file + ": '" + part + "' configuration " + std::to_string(i) +
                                       " differs from the one drawn here: the dump is of another space (library, "
                                       "tables, compensation or --max-candidates)");
        }
        acc.push_back(items[i].at("accuracy").get<double>());
      }
      log(std::string("replayed ") + std::to_string(acc.size()) + " '" + part + "' accuracies from " + replay_file);
      return acc;
    };
    std::mt19937_64 rng(12345);
    // Dense: 70-100 % of the layers approximated, each on a random candidate within ±2 places of
    // position `tier` of its non-exact list (costliest first). The tier moves the configurations
    // from the costliest, nearly exact designs (tier 0) to the cheapest (tier 1), so that their
    // accuracies span more than the measurement noise. Fit configurations draw the tier at
    // random; held-out ones are stratified over (0, 1].
    auto dense_at = [&](std::mt19937_64& g, double tier) {
      Config c = space.all_exact();
      const double level = 0.7 + 0.3 * double(g() % 1000) / 1000.0;
      for (size_t l = 0; l < c.size(); ++l) {
        const size_t k = space.candidates(l).size();
        if (k < 2 || double(g() % 1000) / 1000.0 >= level) continue;
        const size_t mid = 1 + size_t(std::lround(tier * double(k - 2)));
        const size_t lo = std::max<size_t>(1, mid > 2 ? mid - 2 : 1), hi = std::min(k - 1, mid + 2);
        c[l] = int(lo + g() % (hi - lo + 1));
      }
      return c;
    };
    auto dense = [&](std::mt19937_64& g) { return dense_at(g, double(1 + g() % 1000) / 1000.0); };
    if (seeds == 0) {
      // What MCTS measures first: the uniform configurations (one multiplier on every layer),
      // then dense random ones.
      std::set<std::string> keys;
      for (size_t m = 0; m < so.library.multipliers.size(); ++m) {
        Config c = space.all_exact();
        bool any = false;
        for (size_t l = 0; l < c.size(); ++l)
          for (size_t k = 0; k < space.candidates(l).size(); ++k)
            if (space.candidates(l)[k].mult == int(m) && int(m) != space.power_model().exact_index()) {
              c[l] = int(k);
              any = true;
            }
        if (any && keys.insert(config_key(c)).second) fit_c.push_back(c);
      }
      std::mt19937_64 g(777);
      for (int i = 0; i < fit_n; ++i) {
        Config c = dense(g);
        if (keys.insert(config_key(c)).second) fit_c.push_back(c);
      }
      fit_c.push_back(space.all_exact());
      fit_a = replay.is_null() ? ev.evaluate(space, fit_c) : replayed("fit", fit_c);
      log("fit set: " + std::to_string(fit_c.size()) + (replay.is_null() ? " configurations measured" : " configurations"));
    }
    std::vector<Config> held;
    std::vector<double> measured, pred_table, pred_fit;
    std::set<std::string> fit_keys;
    for (const auto& c : fit_c) fit_keys.insert(config_key(c));
    // Sparse configurations (1 to L/3 layers approximated, the rest exact) span the accuracy
    // range where fronts live; uniformly random ones are all near chance level on this model.
    const Config exact_cfg = space.all_exact();
    while (int(held.size()) < holdout) {
      Config c = exact_cfg;
      const size_t k = 1 + rng() % std::max<size_t>(1, c.size() / 3);
      for (size_t j = 0; j < k; ++j) {
        const size_t l = rng() % c.size();
        c[l] = int(rng() % space.candidates(l).size());
      }
      if (fit_keys.count(config_key(c))) continue;
      fit_keys.insert(config_key(c));
      held.push_back(c);
    }
    if (!held.empty()) measured = ev.evaluate(space, held);
    std::vector<Config> dheld;
    std::vector<double> dmeasured, dpred_table, dpred_fit;
    {
      std::mt19937_64 g(4242);
      while (int(dheld.size()) < dense_holdout) {
        Config c = dense_at(g, (double(dheld.size()) + 0.5) / double(dense_holdout));
        if (fit_keys.insert(config_key(c)).second) dheld.push_back(c);
      }
      // Measured on the final images (fewer ties and less noise than the search subset).
      if (!replay.is_null()) dmeasured = replayed("held", dheld);
      else
        for (const auto& c : dheld) dmeasured.push_back(ev.accuracy(space.multipliers_by_layer(c), true));
    }
    for (const auto& c : held) pred_table.push_back(sur.predict(c));
    for (const auto& c : dheld) dpred_table.push_back(sur.predict(c));
    sur.fit(fit_c, fit_a);
    for (const auto& c : held) pred_fit.push_back(sur.predict(c));
    for (const auto& c : dheld) dpred_fit.push_back(sur.predict(c));
    const double t_end = now_s();

    Json res;
    res["benchmark"] = "search algorithms on the emulated Fashion-MNIST ViT";
    res["model"] = ev.model_id();
    res["library"] = library;
    res["multipliers"] = so.library.multipliers.size();
    res["layers"] = so.model.layers.size();
    res["candidates_per_layer"] = [&] {
      std::vector<size_t> v;
      for (size_t l = 0; l < space.num_layers(); ++l) v.push_back(space.candidates(l).size());
      return v;
    }();
    res["log10_space_size"] = space.log10_size();
    res["budget"] = budget;
    res["seeds"] = seeds;
    res["eval_images"] = ev.subset_images();
    res["compensation"] = compensation;
    res["final_images"] = ev.full_images();
    res["exact_baseline"] = {{"accuracy_subset", exact_acc}, {"accuracy_final_images", ev.accuracy({}, true)}};
    res["reference"] = {{"power_rel", so.reference.power_rel}, {"accuracy", so.reference.accuracy}};
    res["hypervolume_box"] = box;
    Json summary = Json::object();
    for (const auto& a : seeds > 0 ? algos : std::vector<std::string>{}) {
      Json s{{"hypervolume", to_json(stats_of(hv[a]))},
             {"hypervolume_fraction_of_box_median", box > 0 ? stats_of(hv[a]).median / box : 0.0},
             {"front_size_median", stats_of(front_sizes[a]).median},
             {"evaluations_median", stats_of(evals[a]).median},
             {"ratio_median_hv_to_mcts", stats_of(hv["mcts"]).median > 0
                                             ? stats_of(hv[a]).median / stats_of(hv["mcts"]).median
                                             : 0.0}};
      if (!hv_full[a].empty()) s["hypervolume_final_images"] = hv_full[a];
      summary[a] = s;
    }
    res["summary"] = summary;
    res["per_seed"] = per_seed;
    res["surrogate"] = {{"held_out_configs", held.size()},
                        {"fit_configs", fit_c.size()},
                        {"spearman_table_only", spearman(pred_table, measured)},
                        {"spearman_after_fit", spearman(pred_fit, measured)},
                        {"measured_accuracy_range", measured.empty() ? Json(nullptr) : Json({*std::min_element(measured.begin(), measured.end()),
                                                     *std::max_element(measured.begin(), measured.end())})},
                        {"surrogate_weights", std::vector<double>(sur.weights().begin(), sur.weights().end())}};
    if (!dheld.empty()) {
      Json pairs = Json::array();
      for (size_t i = 0; i < dheld.size(); ++i) {
        const auto f = sur.features(dheld[i]);
        pairs.push_back({dpred_table[i], dpred_fit[i], dmeasured[i], space.power_rel(dheld[i]), f[1], f[2], f[3], f[4]});
      }
      // What measurement noise alone allows: ρ between the measured accuracies and the same
      // accuracies redrawn with their binomial sampling error (a perfect predictor scored
      // against one noisy measurement), averaged over 200 draws. Pessimistic: it treats each
      // configuration's images as an independent sample, but all are scored on the same images,
      // whose paired differences vary far less (the d⁺ surrogate scores 0.93 where this says 0.89).
      const double n_img = double(ev.full_images());
      std::mt19937_64 gn(99);
      std::normal_distribution<double> z(0.0, 1.0);
      double ceiling = 0;
      for (int rep = 0; rep < 200; ++rep) {
        std::vector<double> noisy;
        for (double a : dmeasured) noisy.push_back(a + z(gn) * std::sqrt(std::max(0.0, a * (1 - a)) / n_img));
        ceiling += spearman(dmeasured, noisy) / 200.0;
      }
      // The part of the range where configurations differ by more than that noise: measured
      // more than 2 pt below the all-exact accuracy on the same images.
      const double exact_full = ev.accuracy({}, true);
      std::vector<double> lp, lm;
      for (size_t i = 0; i < dheld.size(); ++i)
        if (dmeasured[i] < exact_full - 0.02) {
          lp.push_back(dpred_fit[i]);
          lm.push_back(dmeasured[i]);
        }
      res["surrogate_dense"] = {{"replayed_from", replay_file.empty() ? Json(nullptr) : Json(replay_file)},
                                {"held_out_configs", dheld.size()},
                                {"fit_configs", fit_c.size()},
                                {"measured_on_images", ev.full_images()},
                                {"spearman_table_only", spearman(dpred_table, dmeasured)},
                                {"spearman_after_fit", spearman(dpred_fit, dmeasured)},
                                {"spearman_noise_ceiling", ceiling},
                                {"below_exact_minus_2pt", {{"configs", lm.size()}, {"spearman_after_fit", spearman(lp, lm)}}},
                                {"measured_accuracy_range", {*std::min_element(dmeasured.begin(), dmeasured.end()),
                                                             *std::max_element(dmeasured.begin(), dmeasured.end())}},
                                {"pred_table_pred_fit_measured_power_features", pairs}};
    }
    if (std::getenv("AXX_BENCH_DUMP")) {  // the space and the surrogate's data, for offline study
      Json sp = Json::array();
      for (size_t l = 0; l < space.num_layers(); ++l) {
        Json cl = Json::array();
        for (const auto& c : space.candidates(l))
          cl.push_back({{"mult", so.library.multipliers[size_t(c.mult)].name}, {"power", c.power_share}, {"noise", c.noise},
                        {"bias", c.bias}, {"drop", c.drop ? Json(*c.drop) : Json(nullptr)}});
        sp.push_back({{"layer", so.model.layers[l].name}, {"candidates", cl}});
      }
      Json dump{{"space", sp}, {"fit", Json::array()}, {"held", Json::array()}};
      for (size_t i = 0; i < fit_c.size(); ++i) dump["fit"].push_back({{"config", fit_c[i]}, {"accuracy", fit_a[i]}});
      for (size_t i = 0; i < dheld.size(); ++i) dump["held"].push_back({{"config", dheld[i]}, {"accuracy", dmeasured[i]}});
      write_json_atomic(std::getenv("AXX_BENCH_DUMP"), dump);
    }
    res["cost"] = {{"sensitivity_evaluations", sens_evals},
                   {"emulations_total", ev.emulations()},
                   {"cache_hits", ev.cache_hits()},
                   {"seconds_per_emulation", ev.emulations() ? ev.emulation_seconds() / double(ev.emulations()) : 0.0},
                   {"seconds", {{"library", t_lib - t_start},
                                {"setup", t_setup - t_lib},
                                {"sensitivity", t_sens - t_setup},
                                {"search", t_search - t_sens},
                                {"surrogate", t_end - t_search},
                                {"total", t_end - t_start}}}};
    std::printf("%s\n", res.dump(2).c_str());
    write_json_atomic(fs::path(out) / "result.json", res);
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_search_vit: error %s: %s\n", e.code().c_str(), e.what());
    return 1;
  }
  return 0;
}
