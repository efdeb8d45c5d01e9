// transaxx train — `transaxx search` on a real model (see model_search.hpp).
#include "model_search/model_search.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "emulation/train/layer_stats.hpp"
#include "search/run.hpp"
#include "mpi/mpi.hpp"

namespace axx::train {

namespace fs = std::filesystem;

namespace {

search::Signedness parse_signedness(const std::string& s) {
  if (s == "any") return search::Signedness::any;
  if (s == "signed") return search::Signedness::signed_only;
  if (s == "unsigned") return search::Signedness::unsigned_only;
  throw UsageError("MSR-004", fmt::format("unknown signedness '{}'; valid: any, signed, unsigned", s));
}

std::string fmt_duration(double s) {
  if (!(s >= 0) || s > 1e7) return "?";
  if (s < 90) return fmt::format("{:.0f}s", s);
  if (s < 5400) return fmt::format("{:.1f}min", s / 60);
  return fmt::format("{:.1f}h", s / 3600);
}

// Under MPI the search runs on rank 0 (archive, algorithm state, checkpoint); each batch of
// configurations is broadcast as one multiplier name per layer, every rank scores its share and
// rank 0 gathers the accuracies in batch order. Scores depend only on the configuration, so the
// search takes the same path as in one process.
class RankedEvaluator : public search::Evaluator {
 public:
  explicit RankedEvaluator(EmulatorEvaluator& ev) : ev_(ev) {}
  std::vector<double> evaluate(const search::SearchSpace& space, const std::vector<search::Config>& configs) override {
    ev_.evaluate(space, {});  // MSR-008 for a space of another model, before any work
    Json batch = Json::array();
    for (const auto& c : configs) {
      std::vector<std::string> names;
      for (size_t l = 0; l < c.size(); ++l) names.push_back(space.multiplier_name(c, l));
      batch.push_back(names);
    }
    mpi::broadcast(batch.dump());
    std::vector<double> out(configs.size());
    score_batch(ev_, batch, [&](size_t k, const std::string& r) { out[k] = Json::parse(r).get<double>(); });
    return out;
  }
  std::vector<std::string> layer_names() const override { return ev_.layer_names(); }
  /// Tells the other ranks that the search is over.
  void finish() { mpi::broadcast("null"); }

  static void score_batch(EmulatorEvaluator& ev, const Json& batch,
                          const std::function<void(size_t, const std::string&)>& on_root) {
    mpi::for_each_item(
        batch.size(),
        [&](size_t k) { return Json(ev.subset_accuracy(batch[k].get<std::vector<std::string>>())).dump(); },
        [&](size_t k) {
          std::vector<std::string> names = batch[k].get<std::vector<std::string>>();
          return fmt::format("configuration [{}]", fmt::join(names, ", "));
        },
        on_root, batch.size());  // one round per batch
  }
  /// What the ranks other than 0 do: score their share of each batch until the search is over.
  static void serve(EmulatorEvaluator& ev) {
    for (;;) {
      const Json batch = Json::parse(mpi::broadcast(""));
      if (batch.is_null()) return;
      score_batch(ev, batch, [](size_t, const std::string&) {});
    }
  }

 private:
  EmulatorEvaluator& ev_;
};

}  // namespace

std::vector<UniformSeed> uniform_seeds_off_front(
    const search::SearchSpace& space, const std::vector<search::EvalRecord>& evaluated,
    const std::vector<search::ParetoPoint>& front, std::vector<search::ParetoPoint> front_full,
    const std::function<double(const std::map<std::string, std::string>&)>& full) {
  std::vector<UniformSeed> out;
  std::set<std::string> seen;
  for (const auto& e : evaluated) {
    const auto layers = space.multipliers_by_layer(e.config);
    if (layers.empty() || e.power_rel >= 1.0 - 1e-9) continue;
    const std::string m = layers.begin()->second;
    bool uniform = true;
    for (const auto& kv : layers) uniform = uniform && kv.second == m;
    bool on_front = false;
    for (const auto& p : front) on_front = on_front || p.config == e.config;
    if (!uniform || on_front || !seen.insert(m).second) continue;
    const double acc = full(layers);
    bool dominated = false;
    for (const auto& f : front_full) dominated = dominated || (f.power_rel <= e.power_rel + 1e-12 && f.accuracy >= acc);
    if (dominated) continue;
    out.push_back({e, layers, m, acc});
    front_full.push_back(search::ParetoPoint{e.config, e.power_rel, acc, -1});
  }
  return out;
}

Json run_model_search(const ModelSearchOptions& o) {
  // Cheap checks first, before the model is loaded.
  if (o.budget < 1) {
    throw UsageError("MSR-001", fmt::format("the search budget is {}; give at least 1 configuration to score",
                                            o.budget));
  }
  if (o.eval.library.empty()) throw UsageError("MSR-002", "the search needs a multiplier library folder");
  if (!(o.max_drop >= 0)) {
    throw UsageError("MSR-003", fmt::format("the largest accuracy drop is {}; it must be >= 0", o.max_drop));
  }
  search::SearchOptions so;
  so.library = search::load_multiplier_library(o.eval.library, /*luts=*/true);
  so.space.signedness = parse_signedness(o.signedness);
  so.space.max_candidates = o.max_candidates;
  so.space.bias_aware = o.bias_aware;
  // The surrogate's error features follow the evaluator: compensated products have no bias left.
  // (space.describe() carries the flag, so the checkpoint fingerprint changes with it.)
  so.space.mean_compensation = o.mean_compensation || o.eval.compensation == "mean";
  so.algo = o.algo;
  so.compare = o.compare;
  search::find_algorithm(o.algo);
  for (const auto& a : o.compare) search::find_algorithm(a);
  so.budget = o.budget;
  so.seed = o.seed;
  so.batch = o.batch;
  if (o.exploration >= 0) so.mcts.exploration = o.exploration;
  if (o.simulations > 0) so.mcts.simulations = o.simulations;
  if (o.population > 0) so.nsga2.population = o.population;
  so.resume = o.resume;
  so.out_dir = o.out_dir;
  std::optional<search::SensitivityTable> sens;
  if (!o.sensitivity_file.empty()) sens = search::load_sensitivity(o.sensitivity_file);

  EmulatorEvaluator ev(o.eval);
  if (!mpi::is_root()) {
    RankedEvaluator::serve(ev);
    return Json();  // rank 0 writes and reports
  }
  const std::string model_id = ev.model_id();
  if (sens && !sens->model.empty() && sens->model != model_id) {
    throw Error("MSR-006", fmt::format("sensitivity table {} is for model '{}' but the search runs model '{}' ({}); "
                                       "rerun 'transaxx sensitivity' on this model",
                                       o.sensitivity_file, sens->model, model_id, o.eval.model));
  }
  so.sensitivity = sens;

  // The layers: a given file (it must describe this model), else computed here.
  if (!o.layers_file.empty()) {
    so.model = search::load_model_layers(o.layers_file);
    if (!so.model.model.empty() && so.model.model != model_id) {
      throw Error("MSR-007", fmt::format("layers file {} describes model '{}' but the search runs model '{}' ({}); "
                                         "rerun 'transaxx layers' on this model",
                                         o.layers_file, so.model.model, model_id, o.eval.model));
    }
  } else {
    LayerStatsOptions ls;
    ls.run = o.eval.run;
    ls.model = o.eval.model;
    ls.preset = o.eval.preset;
    ls.data = o.eval.data;
    ls.images = o.eval.calib_images;
    ls.calibration = o.eval.calibration;
    ls.percentile = o.eval.percentile;
    so.model = search::parse_model_layers(compute_layer_stats(ls), "computed layers");
  }
  if (so.model.model.empty()) so.model.model = model_id;
  fs::create_directories(o.out_dir);
  write_json_atomic(fs::path(o.out_dir) / "layers.json", search::to_json(so.model));

  // Hypervolume reference: a fixed accuracy floor, the same for every algorithm.
  const double exact_acc = ev.accuracy({}, false);
  so.reference.power_rel = 1.0;
  so.reference.accuracy = o.ref_accuracy >= 0 ? o.ref_accuracy : std::max(0.0, exact_acc - o.max_drop);

  const auto t0 = std::chrono::steady_clock::now();
  std::string cur_algo;
  double mark_s = 0;        // when this algorithm's first progress line came
  int64_t mark_used = 0;    // and how many configurations were scored (or replayed) then
  so.on_progress = [&](const search::SearchProgress& p) {
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (p.algo != cur_algo) {
      cur_algo = p.algo;
      mark_s = el;
      mark_used = p.used;
    }
    if (o.progress) {
      // ETA from this process's own pace (replayed evaluations cost nothing).
      const double rate = p.used > mark_used ? (el - mark_s) / double(p.used - mark_used) : 0;
      std::fprintf(stderr, "search %s: %lld/%lld configurations scored, hypervolume %.5f, %s elapsed, ETA %s\n",
                   p.algo.c_str(), (long long)p.used, (long long)p.budget, p.hypervolume, fmt_duration(el).c_str(),
                   rate > 0 ? fmt_duration(rate * double(p.budget - p.used)).c_str() : "?");
    }
    return o.stop_after <= 0 || p.used < o.stop_after;
  };
  search::SearchResult res;
  if (mpi::parallel()) {
    RankedEvaluator ranked(ev);
    res = search::run_search(so, ranked);
    ranked.finish();
  } else {
    res = search::run_search(so, ev);
  }

  // Re-evaluate the fronts on the whole test set and extend the summary.
  const search::SearchSpace space =
      search::SearchSpace::build(so.library, so.model, so.sensitivity ? &*so.sensitivity : nullptr, so.space);
  std::vector<const search::AlgorithmRun*> runs{&res.primary};
  for (const auto& b : res.baselines) runs.push_back(&b);
  const fs::path sum_path = fs::path(o.out_dir) / "summary.json";
  Json summary = fs::exists(sum_path) ? read_json_file(sum_path) : Json::object();
  // Configs carry the calibration and compensation they were scored with (the library default
  // is max, none).
  const bool comp = !o.eval.compensation.empty() && o.eval.compensation != "none";
  const bool calib = !o.eval.calibration.empty() || o.eval.percentile > 0;
  auto as_scored = [&](Json cj) {
    if (calib) {
      cj["quant"] = {{"calibration", o.eval.calibration.empty() ? "max" : o.eval.calibration}};
      if (o.eval.percentile > 0) cj["quant"]["percentile"] = o.eval.percentile;
    }
    if (comp) cj["compensation"] = o.eval.compensation;
    return cj;
  };
  // An approximation config of `layers` (layer -> multiplier) at `rel` in the output folder,
  // stamped as scored.
  auto write_config = [&](const std::string& rel, const std::map<std::string, std::string>& layers) {
    write_json_atomic(fs::path(o.out_dir) / rel,
                      as_scored({{"version", 1}, {"library", so.library.dir.string()}, {"default", "exact"},
                                 {"layers", layers}}));
  };
  Json algos = Json::array();
  std::vector<search::ParetoPoint> all_full;  // every algorithm's front on the whole test set
  bool complete = true;
  for (const auto* r : runs) {
    complete = complete && r->complete;
    Json a;
    for (const Json& s : summary.value("algorithms", Json::array()))
      if (s.value("algo", "") == r->algo) a = s;
    a["algo"] = r->algo;
    a["hypervolume"] = r->hypervolume;
    Json pts = Json::array();
    std::vector<search::ParetoPoint> full_pts;
    for (size_t i = 0; i < r->front.size(); ++i) {
      const auto& p = r->front[i];
      const std::string rel = fmt::format("{}/configs/point_{:03d}.json", r->algo, i);
      Json e{{"power_rel", p.power_rel},
             {"energy_pj", space.power(p.config).energy_pj},
             {"accuracy", p.accuracy},
             {"accuracy_full", nullptr},
             {"config_file", rel}};
      if (o.final_eval && r->complete) {
        const double full = ev.accuracy(space.multipliers_by_layer(p.config), true);
        e["accuracy_full"] = full;
        full_pts.push_back(search::ParetoPoint{p.config, p.power_rel, full, p.eval_index});
      }
      if (calib || comp) {
        const fs::path cf = fs::path(o.out_dir) / rel;
        write_json_atomic(cf, as_scored(read_json_file(cf)));
      }
      pts.push_back(e);
    }
    // The uniform configurations the algorithm scored itself (MCTS's seeds: one multiplier on
    // every layer) that the subset's noise kept off its front: measured on the whole test set too,
    // they join its front there where its points do not dominate them ("uniform_seeds"; the
    // search did find them, so the whole-test-set front and its hypervolume count them).
    Json seeds = Json::array();
    if (o.final_eval && r->complete) {
      for (const auto& u : uniform_seeds_off_front(space, r->evaluations, r->front, full_pts, [&](const auto& layers) {
             return ev.accuracy(layers, true);
           })) {
        const std::string rel = fmt::format("{}/configs/uniform_{}.json", r->algo, u.multiplier);
        write_config(rel, u.layers);
        seeds.push_back({{"multiplier", u.multiplier},
                         {"power_rel", u.record.power_rel},
                         {"energy_pj", space.power(u.record.config).energy_pj},
                         {"accuracy", u.record.accuracy},
                         {"accuracy_full", u.accuracy_full},
                         {"config_file", rel}});
        full_pts.push_back(search::ParetoPoint{u.record.config, u.record.power_rel, u.accuracy_full, -1});
      }
    }
    all_full.insert(all_full.end(), full_pts.begin(), full_pts.end());
    a["points"] = pts;
    a["uniform_seeds"] = seeds;
    a["hypervolume_full"] = full_pts.empty() && !r->front.empty() ? Json(nullptr)
                                                                 : Json(search::hypervolume_2d(full_pts, so.reference));
    algos.push_back(a);
  }
  // The uniform configurations (one multiplier on every layer, whether or not the pruned space
  // allows it there): the references the searched front must dominate, measured like the front
  // (search subset and whole test set), and candidates the flow may fine-tune.
  if (o.final_eval && complete) {
    Json uni = Json::array();
    const auto& pm = space.power_model();
    fs::create_directories(fs::path(o.out_dir) / "uniform");
    for (size_t m = 0; m < so.library.multipliers.size(); ++m) {
      const auto& mi = so.library.multipliers[m];
      if (int(m) == pm.exact_index()) continue;
      if (!search::admits(so.space.signedness, mi.is_signed)) continue;
      std::map<std::string, std::string> layers;
      for (const auto& l : so.model.layers) layers[l.name] = mi.name;
      const search::PowerEstimate pw = pm.estimate(std::vector<int>(so.model.layers.size(), int(m)));
      const double sub = ev.accuracy(layers, false), full = ev.accuracy(layers, true);
      // Dominated: a front point at most as costly and at least as accurate (whole test set).
      bool dominated = false;
      for (const auto& f : all_full) dominated = dominated || (f.power_rel <= pw.relative + 1e-12 && f.accuracy >= full);
      const std::string rel = fmt::format("uniform/{}.json", mi.name);
      write_config(rel, layers);
      uni.push_back({{"multiplier", mi.name},
                     {"power_rel", pw.relative},
                     {"energy_pj", pw.energy_pj},
                     {"accuracy", sub},
                     {"accuracy_full", full},
                     {"dominated", dominated},
                     {"config_file", rel}});
    }
    summary["uniform"] = uni;
  }
  summary["version"] = 1;
  summary["model"] = model_id;
  summary["complete"] = complete;
  summary["algorithms"] = algos;
  summary["evaluation"] = {{"model_file", o.eval.model},
                           {"images", ev.subset_images()},
                           {"full_images", ev.full_images()},
                           {"calib_images", o.eval.calib_images},
                           {"data_seed", o.eval.run.seed},
                           {"calibration", o.eval.calibration.empty() ? "max" : o.eval.calibration},
                           {"compensation", o.eval.compensation.empty() ? "none" : o.eval.compensation},
                           {"exact8_accuracy", exact_acc},
                           {"emulations", ev.emulations()},
                           {"cache_hits", ev.cache_hits()},
                           {"emulation_seconds", ev.emulation_seconds()}};
  summary["reference"] = {{"power_rel", so.reference.power_rel}, {"accuracy", so.reference.accuracy}};
  summary["log10_space_size"] = res.log10_space_size;
  summary["candidates_per_layer"] = res.candidates_per_layer;
  summary["out_dir"] = o.out_dir;
  write_json_atomic(sum_path, summary);
  return summary;
}

}  // namespace axx::train
