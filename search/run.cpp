// transaxx search — run_search, checkpoints and front files (see run.hpp).
#include "search/run.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/sha256.hpp"

namespace axx::search {

namespace fs = std::filesystem;

namespace {

void validate(const SearchOptions& o) {
  if (o.budget < 1) {
    throw Error("SRC-001", fmt::format("the search budget is {}; give at least 1 configuration to "
                                       "score",
                                       o.budget));
  }
  if (o.library.multipliers.empty()) throw_empty_library(o.library.dir);
  find_algorithm(o.algo);
  for (const auto& a : o.compare) find_algorithm(a);
  // A search option out of range.
  auto bad = [](const std::string& what) { throw Error("SRC-014", what); };
  if (o.batch < 1) bad(fmt::format("batch is {}; it must be ≥ 1", o.batch));
  if (!(o.mcts.exploration >= 0))
    bad(fmt::format("mcts exploration constant is {}; it must be ≥ 0", o.mcts.exploration));
  if (o.mcts.simulations < 1) bad(fmt::format("mcts simulations is {}; it must be ≥ 1", o.mcts.simulations));
  if (!(o.mcts.rollout_epsilon >= 0 && o.mcts.rollout_epsilon <= 1)) bad("mcts rollout_epsilon must be in [0, 1]");
  if (!(o.mcts.lambda_jitter >= 0)) bad("mcts lambda_jitter must be ≥ 0");
  if (o.nsga2.population < 4) bad(fmt::format("nsga2 population is {}; it must be ≥ 4", o.nsga2.population));
  if (!(o.nsga2.crossover >= 0 && o.nsga2.crossover <= 1)) bad("nsga2 crossover must be in [0, 1]");
  if (!(o.nsga2.mutation <= 1)) bad("nsga2 mutation must be ≤ 1 (< 0 means 1/layers)");
  if (!(o.reference.power_rel > 0) || !std::isfinite(o.reference.accuracy)) {
    bad("the hypervolume reference point needs power_rel > 0 and a finite accuracy");
  }
}

std::string fmt_double(double v) { return fmt::format("{:.17g}", v); }

}  // namespace

std::string search_fingerprint(const std::string& algo, const SearchOptions& o, const SearchSpace& space) {
  Json j;
  j["algo"] = algo;
  j["seed"] = o.seed;
  j["budget"] = o.budget;
  j["batch"] = o.batch;
  j["reference"] = {fmt_double(o.reference.power_rel), fmt_double(o.reference.accuracy)};
  j["mcts"] = {fmt_double(o.mcts.exploration), o.mcts.simulations, fmt_double(o.mcts.rollout_epsilon),
               fmt_double(o.mcts.lambda_jitter)};
  j["nsga2"] = {o.nsga2.population, fmt_double(o.nsga2.crossover), fmt_double(o.nsga2.mutation)};
  j["space"] = space.describe();
  Json energies = Json::array();
  for (const auto& m : o.library.multipliers) energies.push_back({m.name, fmt_double(m.energy_pj_per_op)});
  j["energies"] = energies;
  j["sensitivity"] = o.sensitivity ? to_json(*o.sensitivity).dump() : "";
  return sha256_hex(j.dump());
}

void write_checkpoint(const fs::path& path, const std::string& algo, const std::string& fingerprint,
                      const SearchSpace& space, const std::vector<EvalRecord>& log, bool complete) {
  Json j;
  j["version"] = 1;
  j["kind"] = "transaxx-search-checkpoint";
  j["algo"] = algo;
  j["model"] = space.layers().model;
  j["fingerprint"] = fingerprint;
  j["complete"] = complete;
  j["evaluations"] = Json::array();
  for (const auto& r : log) {
    Json e;
    Json names = Json::array();
    for (size_t l = 0; l < r.config.size(); ++l) names.push_back(space.multiplier_name(r.config, l));
    e["config"] = names;
    e["accuracy"] = r.accuracy;
    j["evaluations"].push_back(e);
  }
  write_json_atomic(path, j);
}

std::vector<EvalRecord> load_checkpoint(const fs::path& path, const std::string& fingerprint,
                                        const SearchSpace& space) {
  Json j;
  try {
    j = read_json_file(path);
  } catch (const Error& e) {
    throw Error("SRC-015",
                fmt::format("cannot read checkpoint {}: {}; delete it to start over", path.string(), e.what()));
  }
  auto bad = [&](const std::string& what) {
    throw Error("SRC-009", fmt::format("checkpoint {} is malformed: {}; delete it to start over", path.string(), what));
  };
  if (!j.is_object() || j.value("kind", "") != "transaxx-search-checkpoint" || j.value("version", 0) != 1) {
    bad("not a version-1 transaxx search checkpoint");
  }
  if (j.value("fingerprint", "") != fingerprint) {
    throw Error("SRC-008", fmt::format("checkpoint {} was written by a different search (model '{}', "
                                       "algorithm '{}', or other seed/budget/options/library); "
                                       "use another output folder or delete it to start over",
                                       path.string(), j.value("model", "?"), j.value("algo", "?")));
  }
  if (!j.contains("evaluations") || !j["evaluations"].is_array()) bad("'evaluations' must be a list");
  std::vector<EvalRecord> log;
  for (const Json& e : j["evaluations"]) {
    if (!e.is_object() || !e.contains("config") || !e["config"].is_array() ||
        e["config"].size() != space.num_layers() || !e.contains("accuracy") || !e["accuracy"].is_number()) {
      bad("an evaluation needs 'config' (one multiplier per layer) and 'accuracy'");
    }
    Config c(space.num_layers());
    for (size_t l = 0; l < c.size(); ++l) {
      const std::string name = e["config"][l].is_string() ? e["config"][l].get<std::string>() : "";
      int found = -1;
      for (size_t k = 0; k < space.candidates(l).size(); ++k) {
        if (space.library().multipliers[size_t(space.candidates(l)[k].mult)].name == name) found = int(k);
      }
      if (found < 0)
        bad(fmt::format("multiplier '{}' is not a candidate of layer '{}'", name, space.layers().layers[l].name));
      c[l] = found;
    }
    log.push_back(EvalRecord{c, space.power_rel(c), e["accuracy"].get<double>()});
  }
  return log;
}

namespace {

std::vector<ParetoPoint> front_of(const std::vector<EvalRecord>& log) {
  ParetoArchive a;
  for (size_t i = 0; i < log.size(); ++i) {
    a.insert(ParetoPoint{log[i].config, log[i].power_rel, log[i].accuracy, int64_t(i)});
  }
  return a.points();
}

}  // namespace

AlgorithmRun run_algorithm(const std::string& algo, const SearchOptions& o, const SearchSpace& space,
                           Evaluator& evaluator, const fs::path& dir) {
  const AlgorithmInfo& info = find_algorithm(algo);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string fp = search_fingerprint(algo, o, space);
  const fs::path ckpt = dir.empty() ? fs::path() : dir / "checkpoint.json";
  std::vector<EvalRecord> replay;
  if (!dir.empty() && o.resume && fs::exists(ckpt)) replay = load_checkpoint(ckpt, fp, space);
  auto after_batch = [&](const std::vector<EvalRecord>& log) {
    if (!dir.empty()) write_checkpoint(ckpt, algo, fp, space, log, false);
    if (!o.on_progress) return true;
    SearchProgress p;
    p.algo = algo;
    p.used = int64_t(log.size());
    p.budget = o.budget;
    p.hypervolume = hypervolume_2d(front_of(log), o.reference);
    return o.on_progress(p);
  };
  EvalContext ctx(space, evaluator, o.budget, o.batch, replay, after_batch);
  Surrogate surrogate(space, o.sensitivity ? &*o.sensitivity : nullptr);
  AlgorithmInputs in;
  in.space = &space;
  in.surrogate = &surrogate;
  in.reference = o.reference;
  in.seed = o.seed;
  in.batch = o.batch;
  in.mcts = o.mcts;
  in.nsga2 = o.nsga2;
  AlgorithmRun run;
  run.algo = algo;
  try {
    run.stats = info.run(in, ctx);
    run.complete = true;
  } catch (const StopRequested&) {
    run.complete = false;
  }
  run.evaluations = ctx.log();
  run.front = front_of(run.evaluations);
  run.hypervolume = hypervolume_2d(run.front, o.reference);
  run.replayed = ctx.replayed();
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!dir.empty()) {
    write_checkpoint(ckpt, algo, fp, space, run.evaluations, run.complete);
    write_front_files(dir, run, space);
  }
  return run;
}

void write_front_files(const fs::path& dir, const AlgorithmRun& run, const SearchSpace& space) {
  std::string csv = "index,power_rel,energy_pj,accuracy,eval_index,config\n";
  Json fj;
  fj["version"] = 1;
  fj["algo"] = run.algo;
  fj["model"] = space.layers().model;
  fj["hypervolume"] = run.hypervolume;
  fj["evaluations"] = run.evaluations.size();
  fj["complete"] = run.complete;
  fj["points"] = Json::array();
  for (size_t i = 0; i < run.front.size(); ++i) {
    const ParetoPoint& p = run.front[i];
    const std::string rel = fmt::format("configs/point_{:03d}.json", i);
    write_json_atomic(dir / rel, space.to_approx_config(p.config));
    const PowerEstimate pe = space.power(p.config);
    csv += fmt::format("{},{:.9g},{:.9g},{:.9g},{},{}\n", i, p.power_rel, pe.energy_pj, p.accuracy, p.eval_index, rel);
    Json e;
    e["power_rel"] = p.power_rel;
    e["energy_pj"] = pe.energy_pj;
    e["accuracy"] = p.accuracy;
    e["eval_index"] = p.eval_index;
    e["config_file"] = rel;
    e["layers"] = space.multipliers_by_layer(p.config);
    fj["points"].push_back(e);
  }
  write_file_atomic(dir / "front.csv", csv);
  write_json_atomic(dir / "front.json", fj);
  std::string ev = "index,power_rel,accuracy,config\n";
  for (size_t i = 0; i < run.evaluations.size(); ++i) {
    const auto& r = run.evaluations[i];
    std::string names;
    for (size_t l = 0; l < r.config.size(); ++l) names += (l ? ";" : "") + space.multiplier_name(r.config, l);
    ev += fmt::format("{},{:.9g},{:.9g},{}\n", i, r.power_rel, r.accuracy, names);
  }
  write_file_atomic(dir / "evaluations.csv", ev);
}

SearchResult run_search(const SearchOptions& o, Evaluator& evaluator) {
  validate(o);
  SearchSpace space = SearchSpace::build(o.library, o.model, o.sensitivity ? &*o.sensitivity : nullptr, o.space);
  const auto names = evaluator.layer_names();
  if (!names.empty() && names != o.model.names()) {
    throw Error("SRC-013", fmt::format("the evaluator runs a model with layers [{}] but the search "
                                       "space is for model '{}' with layers [{}]; give the layer "
                                       "list of the evaluated model",
                                       join_names(names), o.model.model, join_names(o.model.names())));
  }
  SearchResult res;
  res.log10_space_size = space.log10_size();
  for (size_t l = 0; l < space.num_layers(); ++l) res.candidates_per_layer.push_back(space.candidates(l).size());
  auto dir_for = [&](const std::string& a) { return o.out_dir.empty() ? fs::path() : o.out_dir / a; };
  res.primary = run_algorithm(o.algo, o, space, evaluator, dir_for(o.algo));
  bool all_complete = res.primary.complete;
  for (const auto& a : o.compare) {
    if (a == o.algo || !all_complete) continue;
    res.baselines.push_back(run_algorithm(a, o, space, evaluator, dir_for(a)));
    all_complete = all_complete && res.baselines.back().complete;
  }
  if (!o.out_dir.empty()) {
    Json s;
    s["version"] = 1;
    s["model"] = o.model.model;
    s["budget"] = o.budget;
    s["seed"] = o.seed;
    s["reference"] = {{"power_rel", o.reference.power_rel}, {"accuracy", o.reference.accuracy}};
    s["log10_space_size"] = res.log10_space_size;
    s["complete"] = all_complete;
    s["algorithms"] = Json::array();
    std::vector<AlgorithmRun> runs{res.primary};
    runs.insert(runs.end(), res.baselines.begin(), res.baselines.end());
    for (const auto& r : runs) {
      s["algorithms"].push_back({{"algo", r.algo},
                                 {"hypervolume", r.hypervolume},
                                 {"evaluations", r.evaluations.size()},
                                 {"front_size", r.front.size()},
                                 {"complete", r.complete},
                                 {"wall_s", r.wall_s},
                                 {"stats", r.stats}});
    }
    write_json_atomic(o.out_dir / "summary.json", s);
    if (o.plot) write_file_atomic(o.out_dir / "front.svg", plot_fronts_svg(runs, o.reference));
  }
  return res;
}

}  // namespace axx::search
